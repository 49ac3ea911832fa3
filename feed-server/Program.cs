using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using PriceFeed.Server.Hosting;

namespace PriceFeed.Server;

/// <summary>Entry point: <c>dotnet run -c Release --project feed-server -- [options]</c>, or
/// <c>-- mint-token [options]</c> to print a token (<see cref="MintTokenCommand"/>).</summary>
internal static class Program
{
    /// <summary>Exit code for bad options, as for most command-line tools.</summary>
    internal const int ExitUsage = 2;

    private static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == MintTokenCommand.Name)
        {
            return MintTokenCommand.Run(args[1..], Console.Out, Console.Error);
        }

        var options = FeedServerOptions.Load(args, out var errors, out var help);
        if (help)
        {
            Console.WriteLine(FeedServerOptions.HelpText());
            return 0;
        }

        if (errors.Count > 0)
        {
            foreach (var error in errors)
            {
                Console.Error.WriteLine("feed-server: " + error);
            }

            Console.Error.WriteLine("feed-server: see --help for every option.");
            return ExitUsage;
        }

        using var loggerFactory = ServerLogging.CreateFactory(options.LogLevel);
        var logger = loggerFactory.CreateLogger("PriceFeed.Server");

        using var shutdown = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            shutdown.Cancel();
        });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
        {
            context.Cancel = true;
            shutdown.Cancel();
        });

        await using var server = new FeedServer(options, loggerFactory);
        try
        {
            await server.StartAsync();
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            logger.LogCritical("Cannot start: {Message}", ex.Message);
            return 1;
        }

        using var rateLog = new RateLogger(server, logger, TimeSpan.FromSeconds(5));
        try
        {
            await Task.Delay(Timeout.Infinite, shutdown.Token);
        }
        catch (OperationCanceledException)
        {
            logger.LogInformation("Shutting down");
        }

        await server.StopAsync();
        logger.LogInformation("Stopped after {Quotes} quotes", server.QuotesProcessed);
        return 0;
    }
}
