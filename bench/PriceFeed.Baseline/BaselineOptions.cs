using System.Globalization;

namespace PriceFeed.Baseline;

/// <summary>The baseline's command line: the feed server's simulator options, so one scenario drives both.</summary>
internal sealed class BaselineOptions
{
    public string Host { get; private set; } = "127.0.0.1";

    public int Port { get; private set; } = 8080;

    public int Symbols { get; private set; } = 500;

    public int Rate { get; private set; } = 10_000;

    public TimeSpan? Duration { get; private set; }

    public ulong? Seed { get; private set; }

    /// <summary>How late the simulator may publish so it can sleep; the feed server's default, so both pace alike.</summary>
    public TimeSpan PacingSlack { get; private set; } = TimeSpan.FromMilliseconds(1);

    /// <summary>Bound of each client's channel; the same default as the feed server's <c>--queue-capacity</c>.</summary>
    public int QueueCapacity { get; private set; } = 1024;

    /// <summary>Parses <c>--name value</c> pairs; returns null and writes to <paramref name="error"/> on a bad one.</summary>
    public static BaselineOptions? Parse(string[] args, out string? error)
    {
        var options = new BaselineOptions();
        error = null;
        for (var i = 0; i < args.Length; i += 2)
        {
            if (i + 1 >= args.Length)
            {
                error = $"{args[i]} needs a value.";
                return null;
            }

            var value = args[i + 1];
            var ok = args[i] switch
            {
                "--host" => Set(() => options.Host = value),
                "--port" => TryInt(value, 0, 65535, v => options.Port = v),
                "--symbols" => TryInt(value, 1, 100_000, v => options.Symbols = v),
                "--rate" => TryInt(value, 1, 1_000_000, v => options.Rate = v),
                "--duration" => TryInt(value, 1, int.MaxValue, v => options.Duration = TimeSpan.FromSeconds(v)),
                "--seed" => ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seed) && Set(() => options.Seed = seed),
                "--queue-capacity" => TryInt(value, 1, 1_000_000, v => options.QueueCapacity = v),
                "--pacing-slack-ms" => TryInt(value, 0, 100, v => options.PacingSlack = TimeSpan.FromMilliseconds(v)),
                _ => false,
            };
            if (!ok)
            {
                error = $"Unknown option or bad value: {args[i]} {value}. Options: --host --port --symbols --rate --duration --seed --queue-capacity --pacing-slack-ms.";
                return null;
            }
        }

        return options;
    }

    private static bool Set(Action set)
    {
        set();
        return true;
    }

    private static bool TryInt(string text, int min, int max, Action<int> set)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            return false;
        }

        set(value);
        return true;
    }
}
