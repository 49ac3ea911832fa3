using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace PriceFeed.Server.Hosting;

/// <summary>Console logging: one line per event with a UTC timestamp, to stdout.</summary>
internal static class ServerLogging
{
    public static ILoggerFactory CreateFactory(string level) =>
        LoggerFactory.Create(builder => builder
            .SetMinimumLevel(Enum.Parse<LogLevel>(level, ignoreCase: true))
            .AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.UseUtcTimestamp = true;
                console.TimestampFormat = "HH:mm:ss.fff ";
                console.ColorBehavior = LoggerColorBehavior.Disabled;
            }));
}
