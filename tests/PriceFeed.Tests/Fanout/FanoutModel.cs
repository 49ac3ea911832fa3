using System.Diagnostics;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Fanout;
using PriceFeed.Server.Ring;
using static PriceFeed.Tests.Fanout.FanoutModelCase;

namespace PriceFeed.Tests.Fanout;

/// <summary>
/// Drives the real fan-out core (<see cref="FanoutHarness"/>) through one <see cref="FanoutModelCase"/> and
/// checks everything the clients read against a small reference model of the guarantees in docs/protocol.md.
/// </summary>
/// <remarks>
/// <para>The model knows, per client, which symbols it holds and how (named or through <c>*</c>, throttle, from
/// which source seq on), and per symbol every quote the source published. Every client reads after every
/// operation, so each message is checked against the state the operation left (<see cref="FanoutModel"/>'s
/// other part, FanoutModel.Checks.cs, holds the checks). Order is checked here per subscription, not with
/// <see cref="FanoutClient.Violations"/>, which spans subscriptions: after an unsubscribe, a new subscribe's
/// snapshot rightly repeats the latest seq the client already had.</para>
/// <para>Single thread: the test is the ring's consumer and every client's event loop. Only the throttle and
/// slow-consumer timers follow the wall clock, and the model only ever waits for them with a deadline.</para>
/// </remarks>
internal sealed partial class FanoutModel : IDisposable
{
    /// <summary>Once quiet, throttles of at most 5 ms pass long before this; reaching it means an update was lost.</summary>
    private static readonly TimeSpan s_convergenceDeadline = TimeSpan.FromSeconds(2);

    private readonly Setup _config;
    private readonly FanoutHarness _harness;
    private readonly ClientModel[] _clients;

    /// <summary>Per symbol id, every quote the source published, seq n at index n - 1.</summary>
    private readonly List<Quote>[] _published;

    private readonly Tally _tally;

    private FanoutModel(Setup config, Tally tally)
    {
        _config = config;
        _tally = tally;
        _harness = new FanoutHarness(config.Symbols, config.Drop, config.QueueCapacity, config.MaxSymbolsPerClient, config.LogCapacity, config.GraceMs);
        _published = new List<Quote>[_harness.Symbols.Capacity];
        for (var i = 0; i < _published.Length; i++)
        {
            _published[i] = [];
        }

        _clients = new ClientModel[config.Clients.Count];
        for (var i = 0; i < _clients.Length; i++)
        {
            var client = _harness.Connect(config.Clients[i].Json);
            if (config.Clients[i].SmallWaterMarks)
            {
                // Low first: DotNetty refuses a high mark below the low one.
                client.Channel.Configuration.WriteBufferLowWaterMark = 512;
                client.Channel.Configuration.WriteBufferHighWaterMark = 1024;
            }

            _clients[i] = new ClientModel(i, config.Clients[i], client);
        }
    }

    /// <summary>What the cases exercised, so a run shows its checks were not vacuous.</summary>
    public sealed class Tally
    {
        public long Published { get; set; }

        public long Delivered { get; set; }

        public long Snapshots { get; set; }

        /// <summary>Clients closed 4001 while unwritable past the grace (allowed).</summary>
        public long SlowCloses { get; set; }

        /// <summary>Quiet periods that had to wait for a throttle or timer before converging.</summary>
        public long Waits { get; set; }

        public override string ToString() =>
            $"{Published} quotes published, {Delivered} delivered live, {Snapshots} snapshot entries, {SlowCloses} slow consumers closed, {Waits} waits for throttles";
    }

    /// <summary>What a failing case broke: a short name of the check (the shrinker keeps failures of the same check) and the details.</summary>
    public sealed record Failure(string Check, string Message);

    /// <summary>Runs <paramref name="modelCase"/> and a final quiet period; null when every check held.</summary>
    /// <param name="tally">Adds what the case exercised, if given.</param>
    public static Failure? Run(FanoutModelCase modelCase, Tally? tally = null)
    {
        var step = "setup";
        try
        {
            using var model = new FanoutModel(modelCase.Config, tally ?? new Tally());
            for (var i = 0; i < modelCase.Operations.Count; i++)
            {
                step = $"operation {i} ({modelCase.Operations[i]})";
                model.Apply(modelCase.Operations[i]);
            }

            step = "the final quiet period";
            model.Quiet(waitOutGrace: true);
            return null;
        }
        catch (ViolationException violation)
        {
            return new Failure(violation.Check, $"{violation.Message}, at {step}");
        }
#pragma warning disable CA1031 // Any exception out of the core is a finding to report with its case, not a crash of the test.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            return new Failure("exception", $"{exception}, at {step}");
        }
    }

    public void Dispose() => _harness.Dispose();

    private void Apply(Operation operation)
    {
        var client = operation.Client >= 0 && !_clients[operation.Client].Closed ? _clients[operation.Client] : null;
        switch (operation.Kind)
        {
            case Kind.Publish:
                Publish(operation.Symbols!);
                break;
            case Kind.Burst:
                Publish([.. Enumerable.Range(0, _harness.Symbols.Count)]);
                break;
            case Kind.Subscribe when client is not null:
                Subscribe(client, operation.Symbols!, operation.ThrottleMs, operation.SkipSnapshot);
                break;
            case Kind.SubscribeAll when client is not null:
                SubscribeAll(client, operation.ThrottleMs, operation.SkipSnapshot);
                break;
            case Kind.Unsubscribe when client is not null:
                Unsubscribe(client, operation.Symbols!);
                break;
            case Kind.UnsubscribeAll when client is not null:
                UnsubscribeAll(client);
                break;
            case Kind.Writable when client is not null && !client.Setup.Prompt:
                // The change reaches the session on the event loop (DotNetty fires a user-defined writability change later).
                client.Client.SetWritable(operation.Flag);
                client.Writable = operation.Flag;
                break;
            case Kind.Drain when client is not null:
                Drain(client);
                break;
            case Kind.DrainAll:
                foreach (var each in LiveClients())
                {
                    Drain(each);
                }

                break;
            case Kind.NewSymbol:
                NewSymbol();
                break;
            case Kind.Quiet:
                Quiet(waitOutGrace: false);
                break;
        }

        // Whatever an operation made the core write is read and checked now, against the state it left.
        foreach (var each in LiveClients())
        {
            Process(each, each.Client.Read(), snapshotSymbols: null);
            CheckAfterStep(each);
        }
    }

    /// <summary>One ring batch; then each prompt client is drained (it keeps up) and must hold every update.</summary>
    private void Publish(int[] symbolIds)
    {
        foreach (var client in LiveClients().Where(c => c.Setup.Prompt))
        {
            // More updates for it in one batch than its FIFO holds: the policy may conflate or drop some of them.
            client.GapAllowed = symbolIds.Count(client.Held.ContainsKey) > _config.FifoCapacity;
        }

        for (var i = 0; i < symbolIds.Length; i++)
        {
            var quote = _harness.Publish(symbolIds[i], endOfBatch: i == symbolIds.Length - 1);
            _tally.Published++;
            _published[quote.SymbolId].Add(QuoteMessages.ToMessage(quote, _harness.Symbols.GetName(quote.SymbolId)));
        }

        foreach (var client in LiveClients().Where(c => c.Setup.Prompt))
        {
            Drain(client);
            var dropped = client.GapAllowed && _config.Drop;
            client.GapAllowed = false;
            if (client.Closed)
            {
                continue;
            }

            foreach (var (symbolId, held) in client.Held)
            {
                if (dropped)
                {
                    // drop lost the oldest of this batch: from the next batch on, every update again.
                    held.ExcusedUpTo = _harness.SourceSeq(symbolId);
                    held.ExpectedNext = held.ExcusedUpTo + 1;
                }

                var target = Target(held, symbolId);
                if (held.Exact && target > held.ExcusedUpTo && held.Last != target)
                {
                    throw new ViolationException(
                        "every update",
                        $"c{client.Index} keeps up (writable, drained after every batch, no throttle) but holds " +
                        $"{Name(symbolId)} seq {held.Last} after the batch, not the source's {target}");
                }
            }
        }
    }

    /// <summary>Runs what the client's event loop has due and reads; checks the bound on what one drain can deliver.</summary>
    /// <returns>Live quotes delivered.</returns>
    private int Drain(ClientModel client)
    {
        client.Client.RunPendingTasks();
        // EmbeddedChannel keeps an exception thrown by a task (a drain, a timer) until asked.
        client.Client.Channel.CheckException();
        var delivered = Process(client, client.Client.Read(), snapshotSymbols: null);

        // Bound: one drain empties at most the FIFO and one pending update per subscription (conflation queue,
        // throttled ones); nothing is offered while it runs. Writable, it leaves nothing in the FIFO.
        var bound = _config.FifoCapacity + client.Held.Count;
        if (delivered > bound)
        {
            throw new ViolationException(
                "bound",
                $"c{client.Index} got {delivered} updates in one drain, more than its FIFO ({_config.FifoCapacity}) and one per symbol ({client.Held.Count})");
        }

        CheckAfterStep(client);
        if (!client.Closed && client.Writable && client.Client.Session.QueuedInFifo != 0)
        {
            throw new ViolationException(
                "bound", $"c{client.Index} is writable and was drained, but {client.Client.Session.QueuedInFifo} updates still wait in its FIFO");
        }

        return delivered;
    }

    /// <summary>
    /// The source is quiet: every client becomes writable and is drained until nothing more comes; under
    /// <c>conflate</c> every client must then hold the latest quote of each symbol it subscribes to (under
    /// <c>drop</c>, of each throttled one, which always conflates). Throttle timers are waited for, with a deadline.
    /// </summary>
    /// <param name="waitOutGrace">Then also let a short slow-consumer grace pass: no client, all caught up, may be closed 4001.</param>
    private void Quiet(bool waitOutGrace)
    {
        foreach (var client in LiveClients().Where(c => !c.Writable))
        {
            client.Client.SetWritable(true);
            client.Writable = true;
        }

        var deadline = Stopwatch.GetTimestamp() + (long)(s_convergenceDeadline.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            var delivered = LiveClients().ToArray().Sum(Drain);
            var behind = FirstBehind();
            if (behind is null && delivered == 0)
            {
                break;
            }

            if (behind is not null && Stopwatch.GetTimestamp() > deadline)
            {
                throw new ViolationException("convergence", $"quiet for {s_convergenceDeadline.TotalSeconds} s, {behind}");
            }

            if (delivered == 0)
            {
                _tally.Waits++;
                Thread.Sleep(1);
            }
        }

        if (waitOutGrace && _config.GraceMs < 100)
        {
            // Every client has everything: a lag mark left now is stale, and its timer would close a caught-up client.
            var until = Stopwatch.GetTimestamp() + (((2 * _config.GraceMs) + 2) * Stopwatch.Frequency / 1000);
            while (Stopwatch.GetTimestamp() < until)
            {
                Thread.Sleep(1);
                foreach (var client in LiveClients().ToArray())
                {
                    Drain(client);
                }
            }
        }
    }

    /// <summary>The first subscription, in any live client, that does not hold what convergence requires; null if none.</summary>
    private string? FirstBehind()
    {
        foreach (var client in LiveClients())
        {
            foreach (var (symbolId, held) in client.Held)
            {
                var target = Target(held, symbolId);
                // Under drop only a throttled subscription conflates, and only updates after its throttle was set.
                var owed = !_config.Drop || (held.ThrottleMs > 0 && _harness.SourceSeq(symbolId) > held.ThrottledSince);
                if (owed && held.Last != target)
                {
                    return $"c{client.Index} holds {Name(symbolId)} seq {held.Last}, the source's latest is {target} ({held})";
                }
            }
        }

        return null;
    }

    private IEnumerable<ClientModel> LiveClients() => _clients.Where(c => !c.Closed);

    private string Name(int symbolId) => _harness.Symbols.GetName(symbolId);
}
