using System.Runtime.InteropServices;
using PriceFeed.Simulation;
using PriceFeed.Simulator.Sinks;

namespace PriceFeed.Simulator;

/// <summary>The simulator command line: runs a <see cref="QuoteSimulator"/> into the sinks the options ask for.</summary>
internal static class Program
{
    private const int ExitDone = 0;
    private const int ExitFailed = 1;
    private const int ExitInvalidOptions = 2;

    private static readonly TimeSpan s_progressInterval = TimeSpan.FromSeconds(1);

    /// <summary>How long the end of a run waits for Redis to answer what was sent.</summary>
    private static readonly TimeSpan s_redisDrainTimeout = TimeSpan.FromSeconds(10);

    private static async Task<int> Main(string[] args)
    {
        var commandLine = SimulatorCommandLine.Parse(args, out var errors);
        if (commandLine is null)
        {
            foreach (var error in errors)
            {
                await Console.Error.WriteLineAsync("error: " + error);
            }

            await Console.Error.WriteLineAsync("Run with --help for the options.");
            return ExitInvalidOptions;
        }

        if (commandLine.ShowHelp)
        {
            await Console.Out.WriteLineAsync(SimulatorCommandLine.Usage);
            return ExitDone;
        }

        var options = commandLine.Options;
        // The universe first: sinks that name symbols need it when they are made.
        var universe = SymbolUniverse.Create(options);
        var counter = new CountingQuoteSink();
        var sinks = new List<IQuoteSink> { counter };
        using var standardOutput = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = false };
        if (commandLine.Print > 0)
        {
            sinks.Add(new PrintingQuoteSink(standardOutput, universe.Symbols, commandLine.Print));
        }

        using var redis = commandLine.Redis is { } endpoint
            ? await RedisQuoteSink.StartAsync(endpoint, universe.Symbols, commandLine.BusHistory, Console.Error)
            : null;
        if (redis is not null)
        {
            sinks.Add(redis);
        }

        using var simulator = new QuoteSimulator(options, universe, new CompositeQuoteSink(sinks));

        // Ctrl+C and SIGTERM stop the run; the summary is still printed and the exit code is 0.
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => StopOnSignal(context, simulator));
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => StopOnSignal(context, simulator));

        var report = new ConsoleReport(Console.Error, simulator, options, counter);
        report.Plan();
        simulator.Start();
        while (!simulator.Completion.IsCompleted)
        {
            await Task.WhenAny(simulator.Completion, Task.Delay(s_progressInterval));
            report.Progress();
        }

        if (redis is not null)
        {
            // The simulator's thread has stopped: send what is left before the summary counts it.
            await redis.CompleteAsync(s_redisDrainTimeout);
        }

        report.Summary();
        if (redis is not null)
        {
            await Console.Error.WriteLineAsync(redis.Summary());
        }
        if (simulator.Completion.Exception is { } failure)
        {
            await Console.Error.WriteLineAsync("error: the run failed: " + failure.InnerException?.Message);
            return ExitFailed;
        }

        return ExitDone;
    }

    private static void StopOnSignal(PosixSignalContext context, QuoteSimulator simulator)
    {
        // Cancel the default (terminate the process at once): the main loop ends after Stop and prints the summary.
        context.Cancel = true;
        simulator.Stop();
    }
}
