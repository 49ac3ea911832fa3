using PriceFeed.LoadTest.Servers;

namespace PriceFeed.LoadTest.Runs;

/// <summary>
/// All runs of one invocation: repetitions interleaved across targets (ours, baseline, node, ours,
/// baseline, node...), and for <c>max</c> a ladder of rising rates per repetition.
/// </summary>
internal sealed class LoadTestSession
{
    private readonly LoadTestOptions _options;
    private readonly Progress _progress;
    private readonly ScenarioRunner _runner;

    public LoadTestSession(LoadTestOptions options, Progress progress)
    {
        _options = options;
        _progress = progress;
        _runner = new ScenarioRunner(options, progress);
    }

    /// <summary>Every run, in the order made; <c>max</c> steps carry <see cref="RunResult.Sustained"/>.</summary>
    public async Task<List<RunResult>> RunAsync(CancellationToken cancellationToken)
    {
        // Find every server before the first run: a missing build or Node package stops the tool now, not minutes in.
        foreach (var target in _options.Targets.Where(t => t != Target.Url))
        {
            ServerLocator.For(target, _options);
        }

        var runs = new List<RunResult>();
        for (var repetition = 1; repetition <= _options.Repetitions; repetition++)
        {
            if (_options.Scenario.Kind == ScenarioKind.MaxRate)
            {
                await RunLadderAsync(repetition, runs, cancellationToken);
                continue;
            }

            foreach (var target in _options.Targets)
            {
                var run = await _runner.RunAsync(target, _options.Scenario.Rate, repetition, cancellationToken);
                runs.Add(run);
                _progress.Line($"{run.Scenario} {run.Target} #{repetition}", Report.OneLine(run));
            }
        }

        return runs;
    }

    /// <summary>
    /// Raises the rate step by step for each target, alternating targets at each step, until a
    /// step fails: p99 from source time over the limit, clients lost, or clients no longer getting
    /// their share of the offered quotes (delivered per offered quote drops below 90% of the first step's).
    /// </summary>
    private async Task RunLadderAsync(int repetition, List<RunResult> runs, CancellationToken cancellationToken)
    {
        var firstShare = new Dictionary<Target, double>();
        var climbing = _options.Targets.ToList();
        foreach (var rate in Scenario.MaxRateSteps)
        {
            foreach (var target in climbing.ToList())
            {
                var run = await _runner.RunAsync(target, rate, repetition, cancellationToken);
                var share = run.QuotesPerSecond / rate;
                var reference = firstShare.TryGetValue(target, out var first) ? first : firstShare[target] = share;
                var failures = new List<string>();
                if (run.FastFromSource.P99Us > Scenario.MaxRateP99LimitMs * 1000)
                {
                    failures.Add($"p99 {run.FastFromSource.P99Us / 1000:F1} ms > {Scenario.MaxRateP99LimitMs} ms");
                }

                if (share < Scenario.MaxRateDeliveredShare * reference)
                {
                    failures.Add($"delivered {share:F2}/offered quote < {Scenario.MaxRateDeliveredShare:P0} of {reference:F2}");
                }

                if (run.ClientsLost > 0)
                {
                    failures.Add($"{run.ClientsLost} clients lost");
                }

                if (run.Verdict is { } note)
                {
                    failures.Add(note);
                }

                run = run with { Sustained = failures.Count == 0, Verdict = failures.Count == 0 ? "sustained" : string.Join("; ", failures) };
                runs.Add(run);
                _progress.Line($"max {run.Target} #{repetition} @{rate:N0}/s", Report.OneLine(run) + " | " + run.Verdict);
                if (failures.Count > 0)
                {
                    climbing.Remove(target);
                }
            }

            if (climbing.Count == 0)
            {
                break;
            }
        }
    }
}
