using System.Globalization;
using PriceFeed.LoadTest.Servers;

namespace PriceFeed.LoadTest;

/// <summary>The load tool's command line; every option has a default so <c>--scenario NAME</c> alone is a full run.</summary>
internal sealed class LoadTestOptions
{
    public const string Usage = """
        Usage: dotnet run -c Release --project bench/PriceFeed.LoadTest -- --scenario NAME [options]

          --scenario NAME        fanout | latency | slow | all | connections | max
          --target T             ours | baseline | node | both (ours,baseline) | a list such as ours,node
                                 (default ours,baseline,node; node only once 'npm ci' has run in
                                 bench/node-baseline; ignored with --url)
          --url ws://HOST:PORT/ws  measure a server that is already running instead of starting one
          --duration S           measured window in seconds (default 20)
          --warmup S             seconds before the window (default 5)
          --repetitions N        runs per target, interleaved ours, baseline, node, ours... (default 3)
          --server-cpus LIST     start the server under taskset -c LIST (e.g. 0)
          --client-cpus LIST     pin the tool itself to these CPUs (e.g. 1)
          --out DIR              where results JSON and the plot go (default results)
          --seed N               simulator and subscription seed (default 1)
          --pacing-slack-ms N    how late the servers' simulators may publish to sleep instead of spin
                                 (default: the servers' own, 1 ms; it adds up to that to latency from source time)
          --clients N --symbols N --symbols-per-client N --rate N --slow-clients N
                                 override the scenario's shape (--symbols-per-client 0 means *)
          --server-dll PATH --baseline-dll PATH --node-script PATH
                                 the servers to start (default: the Release builds and bench/node-baseline/server.mjs
                                 in this repository)
        """;

    public Scenario Scenario { get; private set; } = Scenario.All[0];

    /// <summary>The servers measured; <see cref="Parse"/> adds <see cref="Target.Node"/> to this default when its packages are installed.</summary>
    public IReadOnlyList<Target> Targets { get; private set; } = [Target.Ours, Target.Baseline];

    public Uri? Url { get; private set; }

    public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(20);

    public TimeSpan Warmup { get; private set; } = TimeSpan.FromSeconds(5);

    public int Repetitions { get; private set; } = 3;

    public string? ServerCpus { get; private set; }

    public string? ClientCpus { get; private set; }

    public string OutputDirectory { get; private set; } = "results";

    public ulong Seed { get; private set; } = 1;

    /// <summary>Passed to both servers when set; null leaves their default (1 ms).</summary>
    public int? PacingSlackMs { get; private set; }

    public string? ServerDll { get; private set; }

    public string? BaselineDll { get; private set; }

    /// <summary>The Node baseline's script; null for bench/node-baseline/server.mjs.</summary>
    public string? NodeScript { get; private set; }

    /// <summary>Builds options in code (the tests); <paramref name="scenario"/> is used as given.</summary>
    public static LoadTestOptions Create(Scenario scenario, IReadOnlyList<Target> targets, TimeSpan duration, TimeSpan warmup, string outputDirectory) =>
        new()
        {
            Scenario = scenario,
            Targets = targets,
            Duration = duration,
            Warmup = warmup,
            Repetitions = 1,
            OutputDirectory = outputDirectory,
        };

    /// <summary>Parses <c>--name value</c> pairs; returns null with a message naming the bad option.</summary>
    public static LoadTestOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        var options = new LoadTestOptions();
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
            {
                error = $"Expected --name value pairs, got '{args[i]}'.";
                return null;
            }

            values[args[i][2..]] = args[i + 1];
        }

        error = null;
        if (!values.Remove("scenario", out var name) || Scenario.Find(name) is not { } scenario)
        {
            error = $"--scenario is required: one of {string.Join(", ", Scenario.All.Select(s => s.Name))}.";
            return null;
        }

        try
        {
            options.Scenario = scenario with
            {
                Clients = Take(values, "clients", scenario.Clients, 1),
                Symbols = Take(values, "symbols", scenario.Symbols, 1),
                SymbolsPerClient = Take(values, "symbols-per-client", scenario.SymbolsPerClient, 0),
                Rate = Take(values, "rate", scenario.Rate, 1),
                SlowClients = Take(values, "slow-clients", scenario.SlowClients, 0),
            };
            if (options.Scenario.SlowClients > 0 && options.Scenario.StallMs == 0)
            {
                options.Scenario = options.Scenario with { StallMs = 500, StallEveryMs = 1_000 };
            }

            options.Duration = TimeSpan.FromSeconds(Take(values, "duration", 20, 1));
            options.Warmup = TimeSpan.FromSeconds(Take(values, "warmup", 5, 0));
            options.Repetitions = Take(values, "repetitions", 3, 1);
            options.Seed = (ulong)Take(values, "seed", 1, 0);
            options.PacingSlackMs = values.ContainsKey("pacing-slack-ms") ? Take(values, "pacing-slack-ms", 1, 0) : null;
            options.ServerCpus = values.Remove("server-cpus", out var serverCpus) ? serverCpus : null;
            options.ClientCpus = values.Remove("client-cpus", out var clientCpus) ? clientCpus : null;
            options.OutputDirectory = values.Remove("out", out var output) ? output : options.OutputDirectory;
            options.ServerDll = values.Remove("server-dll", out var serverDll) ? serverDll : null;
            options.BaselineDll = values.Remove("baseline-dll", out var baselineDll) ? baselineDll : null;
            options.NodeScript = values.Remove("node-script", out var nodeScript) ? nodeScript : null;
            if (values.Remove("url", out var url))
            {
                options.Url = new Uri(url);
                options.Targets = [Target.Url];
                values.Remove("target");
            }
            else if (values.Remove("target", out var target))
            {
                options.Targets = ParseTargets(target);
            }
            else if (ServerLocator.IsNodeBaselineInstalled(options))
            {
                options.Targets = [Target.Ours, Target.Baseline, Target.Node];
            }
        }
        catch (FormatException ex)
        {
            error = ex.Message;
            return null;
        }

        if (values.Count > 0)
        {
            error = $"Unknown option --{values.Keys.First()}.";
            return null;
        }

        return options;
    }

    // "ours", "both", or a comma-separated list such as "ours,node", in the order the runs interleave.
    private static Target[] ParseTargets(string text)
    {
        if (text == "both")
        {
            return [Target.Ours, Target.Baseline];
        }

        return text.Split(',', StringSplitOptions.TrimEntries).Select(name => name switch
        {
            "ours" => Target.Ours,
            "baseline" => Target.Baseline,
            "node" => Target.Node,
            _ => throw new FormatException($"--target takes ours, baseline, node, both, or a list such as ours,baseline,node; not '{text}'."),
        }).Distinct().ToArray();
    }

    private static int Take(Dictionary<string, string> values, string name, int fallback, int min)
    {
        if (!values.Remove(name, out var text))
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min)
        {
            throw new FormatException($"--{name} must be a whole number of at least {min}, not '{text}'.");
        }

        return value;
    }
}
