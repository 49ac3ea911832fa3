using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace PriceFeed.Server.Hosting;

/// <summary>
/// Option values merged from three layers, later ones winning: an optional JSON file
/// (<c>--config</c> or <c>PRICEFEED_CONFIG</c>), <c>PRICEFEED_*</c> environment variables,
/// and the command line (<c>--name value</c> or <c>--name=value</c>).
/// </summary>
/// <remarks>
/// Names are matched without regard to case, dashes or underscores, so <c>--queue-capacity</c>,
/// <c>PRICEFEED_QUEUE_CAPACITY</c> and a JSON key <c>queueCapacity</c> are one option. Every
/// reading method records a message naming the option when a value is bad, so a caller can
/// report all mistakes at once.
/// </remarks>
internal sealed class OptionValues
{
    public const string EnvironmentPrefix = "PRICEFEED_";

    private readonly Dictionary<string, (string Value, string Origin)> _values;
    private readonly List<string> _errors = [];

    private OptionValues(Dictionary<string, (string, string)> values, bool helpRequested)
    {
        _values = values;
        HelpRequested = helpRequested;
    }

    public bool HelpRequested { get; }

    public IReadOnlyList<string> Errors => _errors;

    /// <summary>Reads the three layers. Unknown command-line options and unreadable files are errors.</summary>
    public static OptionValues Load(
        IReadOnlyList<string> args,
        IReadOnlyCollection<OptionSpec> specs,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var known = specs.ToDictionary(s => Normalize(s.Name), s => s.Name);
        known[Normalize("config")] = "config";
        var errors = new List<string>();
        var commandLine = ParseCommandLine(args, known, errors, out var help);

        environment ??= ReadEnvironment();
        var fromEnvironment = new Dictionary<string, (string, string)>();
        foreach (var (name, value) in environment)
        {
            if (name.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase))
            {
                var key = Normalize(name[EnvironmentPrefix.Length..]);
                // Other PRICEFEED_* variables may belong to other tools (the load tool, the tests): ignore them.
                if (known.ContainsKey(key))
                {
                    fromEnvironment[key] = (value, name);
                }
            }
        }

        var merged = new Dictionary<string, (string, string)>();
        var configKey = Normalize("config");
        var configPath = commandLine.TryGetValue(configKey, out var c) ? c.Item1
            : fromEnvironment.TryGetValue(configKey, out var e) ? e.Item1 : null;
        if (configPath is not null)
        {
            ReadJsonFile(configPath, known, merged, errors);
        }

        foreach (var (key, value) in fromEnvironment)
        {
            merged[key] = value;
        }

        foreach (var (key, value) in commandLine)
        {
            merged[key] = value;
        }

        var values = new OptionValues(merged, help);
        values._errors.AddRange(errors);
        return values;
    }

    public string? GetString(string name) =>
        _values.TryGetValue(Normalize(name), out var v) && v.Value.Length > 0 ? v.Value : null;

    public string GetString(string name, string defaultValue) => GetString(name) ?? defaultValue;

    public int GetInt32(string name, int defaultValue, int min, int max)
    {
        var raw = GetString(name);
        if (raw is null)
        {
            return defaultValue;
        }

        if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            Fail(name, raw, $"a whole number from {min} to {max}");
            return defaultValue;
        }

        return value;
    }

    public double? GetDouble(string name, double min, double max)
    {
        var raw = GetString(name);
        if (raw is null)
        {
            return null;
        }

        if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !(value >= min && value <= max))
        {
            Fail(name, raw, $"a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}");
            return null;
        }

        return value;
    }

    public long? GetInt64(string name, long min, long max)
    {
        var raw = GetString(name);
        if (raw is null)
        {
            return null;
        }

        if (!long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            Fail(name, raw, $"a whole number from {min} to {max}");
            return null;
        }

        return value;
    }

    /// <summary>One of <paramref name="allowed"/>, compared without regard to case; returned as written in the list.</summary>
    public string GetChoice(string name, string defaultValue, params string[] allowed)
    {
        var raw = GetString(name);
        if (raw is null)
        {
            return defaultValue;
        }

        foreach (var choice in allowed)
        {
            if (string.Equals(choice, raw, StringComparison.OrdinalIgnoreCase))
            {
                return choice;
            }
        }

        Fail(name, raw, "one of " + string.Join(", ", allowed));
        return defaultValue;
    }

    /// <summary>Records a problem with an option's value that the caller found itself.</summary>
    public void Fail(string name, string message) => _errors.Add($"--{name}: {message}");

    private void Fail(string name, string raw, string expected)
    {
        var origin = _values.TryGetValue(Normalize(name), out var v) ? v.Origin : "--" + name;
        _errors.Add($"--{name}: '{raw}' (from {origin}) is not valid; expected {expected}.");
    }

    private static Dictionary<string, (string, string)> ParseCommandLine(
        IReadOnlyList<string> args, Dictionary<string, string> known, List<string> errors, out bool help)
    {
        help = false;
        var result = new Dictionary<string, (string, string)>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "-h" or "--help" or "-?")
            {
                help = true;
                continue;
            }

            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                errors.Add($"Unexpected argument '{arg}'; options look like --name value (see --help).");
                continue;
            }

            var body = arg[2..];
            string name, value;
            var equals = body.IndexOf('=', StringComparison.Ordinal);
            if (equals >= 0)
            {
                name = body[..equals];
                value = body[(equals + 1)..];
            }
            else if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                name = body;
                value = args[++i];
            }
            else
            {
                errors.Add($"--{body}: a value is missing (write --{body} VALUE).");
                continue;
            }

            if (!known.TryGetValue(Normalize(name), out var canonical))
            {
                errors.Add($"--{name}: unknown option (see --help for the list).");
                continue;
            }

            result[Normalize(canonical)] = (value, "--" + canonical);
        }

        return result;
    }

    private static void ReadJsonFile(
        string path, Dictionary<string, string> known, Dictionary<string, (string, string)> into, List<string> errors)
    {
        IConfigurationRoot root;
        try
        {
            root = new ConfigurationBuilder().AddJsonFile(Path.GetFullPath(path), optional: false).Build();
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or FormatException or UnauthorizedAccessException)
        {
            errors.Add($"--config: cannot read '{path}': {ex.Message}");
            return;
        }

        foreach (var (key, value) in root.AsEnumerable(makePathsRelative: true))
        {
            if (value is null)
            {
                continue;
            }

            if (!known.ContainsKey(Normalize(key)))
            {
                errors.Add($"--config: '{path}' has an unknown option '{key}'.");
                continue;
            }

            into[Normalize(key)] = (value, $"{path}:{key}");
        }
    }

    private static Dictionary<string, string> ReadEnvironment()
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            result[(string)entry.Key] = entry.Value as string ?? "";
        }

        return result;
    }

    private static string Normalize(string name) =>
        name.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).ToUpperInvariant();
}
