using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace PriceFeed.Tests.Fanout;

/// <summary>
/// Model-based test of the fan-out core: random cases of quotes, subscribes and unsubscribes (named and
/// <c>*</c>, throttled or not, with or without snapshot), writability flips and drains, on several
/// protobuf and JSON clients under both policies, each checked by <see cref="FanoutModel"/>.
/// </summary>
/// <remarks>
/// <para>Checked at every step, for every client: per symbol strictly increasing seq; a subscribe's
/// snapshot holds the latest quote and comes before live updates; no quote of a symbol it is not
/// subscribed to; each quote exactly as the source published it; nothing written while unwritable; one
/// drain delivers at most its FIFO's bound plus one update per symbol, and a writable client's drain empties
/// the FIFO (under conflate the FIFO never exceeds its bound); a client that keeps up (writable, drained
/// after every batch, no throttle) gets every update; named subscriptions within max-symbols-per-client;
/// 4001 only for an unwritable client. When quiet: convergence under conflate (and for throttled
/// subscriptions under drop), and no 4001 for clients that hold everything once a short grace has passed.</para>
/// <para>Seeded: <c>PRICEFEED_MODEL_SEED</c> replays a run, <c>PRICEFEED_MODEL_CASE</c> one case of it. A
/// failing case is shrunk (operations left out while the same check still fails) and printed with both.</para>
/// </remarks>
public sealed class FanoutModelTests
{
    public const string SeedVariable = "PRICEFEED_MODEL_SEED";
    public const string CaseVariable = "PRICEFEED_MODEL_CASE";

    /// <summary>300 cases of 200 operations: a few seconds on a loaded two-core machine.</summary>
    private const int Cases = 300;

    private const int OperationsPerCase = 200;

    /// <summary>Shrinking stops after this many runs of the failing case, or <see cref="s_shrinkTime"/>.</summary>
    private const int MaxShrinkRuns = 3000;

    private static readonly TimeSpan s_shrinkTime = TimeSpan.FromSeconds(60);

    private readonly ITestOutputHelper _output;

    public FanoutModelTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void RandomOperationsKeepEveryGuaranteeOfTheContract()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable(SeedVariable), NumberStyles.Integer, CultureInfo.InvariantCulture, out var given)
            ? given
            : Random.Shared.Next();
        int? only = int.TryParse(Environment.GetEnvironmentVariable(CaseVariable), NumberStyles.Integer, CultureInfo.InvariantCulture, out var one)
            ? one
            : null;
        var started = Stopwatch.GetTimestamp();
        var tally = new FanoutModel.Tally();

        for (var number = 0; number < Cases; number++)
        {
            if (only is not null && number != only)
            {
                continue;
            }

            var modelCase = FanoutModelCase.Generate(new Random(CaseSeed(seed, number)), OperationsPerCase);
            var failure = FanoutModel.Run(modelCase, tally);
            if (failure is not null)
            {
                Assert.Fail(Report(seed, number, modelCase, failure));
            }
        }

        _output.WriteLine($"{SeedVariable}={seed}: {(only is null ? Cases : 1)} cases of {OperationsPerCase} operations in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s: {tally}");
    }

    /// <summary>Each case has its own generator, so one case replays without the ones before it.</summary>
    private static int CaseSeed(int seed, int number) => unchecked((seed * 1_000_003) + number);

    private static string Report(int seed, int number, FanoutModelCase modelCase, FanoutModel.Failure failure)
    {
        var (smallest, smallestFailure, runs) = Shrink(modelCase, failure);
        return $"""
            Fan-out model: check "{failure.Check}" failed in case {number} of seed {seed}.
            {failure.Message}
            Replay: {SeedVariable}={seed} {CaseVariable}={number} dotnet test tests/PriceFeed.Tests/PriceFeed.Tests.csproj -c Release --filter "FullyQualifiedName~FanoutModel"
            Shrunk in {runs} runs to {smallest.Operations.Count} of {modelCase.Operations.Count} operations, failing with: {smallestFailure.Message}
            {smallest.Describe()}
            The case as generated:
            {modelCase.Describe(maxOperations: 40)}
            """;
    }

    /// <summary>
    /// Leaves out runs of operations (halves, quarters, ... single ones), then simplifies the clients, keeping
    /// each change after which the same check still fails. Greedy, so the result is small, not always minimal.
    /// </summary>
    private static (FanoutModelCase Case, FanoutModel.Failure Failure, int Runs) Shrink(FanoutModelCase modelCase, FanoutModel.Failure failure)
    {
        var started = Stopwatch.GetTimestamp();
        var runs = 0;
        var current = modelCase;
        var currentFailure = failure;

        bool TryKeep(FanoutModelCase candidate)
        {
            if (runs >= MaxShrinkRuns || Stopwatch.GetElapsedTime(started) > s_shrinkTime)
            {
                return false;
            }

            runs++;
            var result = FanoutModel.Run(candidate);
            if (result is null || result.Check != failure.Check)
            {
                return false;
            }

            (current, currentFailure) = (candidate, result);
            return true;
        }

        for (var pass = 0; pass < 2; pass++)
        {
            for (var chunk = Math.Max(current.Operations.Count / 2, 1); chunk >= 1; chunk /= 2)
            {
                for (var start = 0; start < current.Operations.Count;)
                {
                    var operations = current.Operations.ToList();
                    operations.RemoveRange(start, Math.Min(chunk, operations.Count - start));
                    if (!TryKeep(current with { Operations = operations }))
                    {
                        start += chunk;
                    }
                }
            }

            for (var i = current.Config.Clients.Count - 1; i >= 0 && current.Config.Clients.Count > 1; i--)
            {
                TryKeep(WithoutClient(current, i));
            }

            for (var i = 0; i < current.Config.Clients.Count; i++)
            {
                var client = current.Config.Clients[i];
                foreach (var simpler in new[] { client with { Json = false }, client with { SmallWaterMarks = false }, client with { Prompt = false } })
                {
                    if (simpler != current.Config.Clients[i])
                    {
                        var clients = current.Config.Clients.ToArray();
                        clients[i] = simpler;
                        TryKeep(current with { Config = current.Config with { Clients = clients } });
                    }
                }
            }
        }

        return (current, currentFailure, runs);
    }

    /// <summary>The case without client <paramref name="index"/> and its operations; the clients after it move down one.</summary>
    private static FanoutModelCase WithoutClient(FanoutModelCase modelCase, int index)
    {
        var clients = modelCase.Config.Clients.Where((_, i) => i != index).ToArray();
        var operations = modelCase.Operations
            .Where(o => o.Client != index)
            .Select(o => o.Client > index ? o with { Client = o.Client - 1 } : o)
            .ToArray();
        return new FanoutModelCase(modelCase.Config with { Clients = clients }, operations);
    }
}
