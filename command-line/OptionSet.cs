using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Memory;

namespace PriceFeed.CommandLine;

/// <summary>
/// The options of one command and how they are read: <c>--name value</c> (or <c>--name=value</c>) on the command
/// line, <c>PRICEFEED_NAME</c> in the environment and, for a command that takes one, keys of a <c>--config</c> JSON
/// file; the command line wins over the environment, which wins over the file.
/// </summary>
/// <remarks>
/// System.CommandLine parses the command line and writes <c>--help</c>; Microsoft.Extensions.Configuration reads the
/// environment and the file. Environment and file names are matched without regard to case, dashes or underscores,
/// so <c>PRICEFEED_QUEUE_CAPACITY</c>, <c>queueCapacity</c> and <c>queue-capacity</c> are all
/// <c>--queue-capacity</c>. Every value, wherever it comes from, is read by its <see cref="OptionSpec"/>, and every
/// mistake is reported at once, each message starting with the option's name. Built once, at start-up; each
/// <see cref="Parse"/> keeps its results to itself.
/// </remarks>
public sealed class OptionSet
{
    /// <summary>Prefix of the environment variables read; <c>PRICEFEED_BURST_FACTOR</c> is <c>--burst-factor</c>.</summary>
    public const string EnvironmentPrefix = "PRICEFEED_";

    // No response files: "@name" is an ordinary value here (an origin, a Redis password), not a file to expand.
    private static readonly ParserConfiguration s_parserConfiguration = new() { ResponseFileTokenReplacer = null };

    private readonly Command _command;
    private readonly HelpOption _help = new();
    private readonly OptionSpec<string?>? _configFile;
    private readonly Dictionary<string, OptionSpec> _byKey;

    /// <param name="name">The command as its usage line shows it, e.g. <c>feed-server</c>.</param>
    /// <param name="description">What the command does, shown above the options by <c>--help</c>.</param>
    /// <param name="specs">Its options, in the order <c>--help</c> lists them.</param>
    /// <param name="acceptsConfigFile">Whether it takes <c>--config FILE</c>, a JSON object of option values.</param>
    public OptionSet(string name, string description, IEnumerable<OptionSpec> specs, bool acceptsConfigFile = false)
    {
        ArgumentNullException.ThrowIfNull(specs);
        if (acceptsConfigFile)
        {
            _configFile = new OptionSpec<string?>(
                "config", null, ValueReaders.OptionalText, "JSON file with any of these options (command line and environment win over it)");
        }

        Specs = [.. specs, .. _configFile is null ? Array.Empty<OptionSpec>() : [_configFile]];
        _byKey = Specs.ToDictionary(s => Key(s.Name));
        _command = new Command(name, description);
        foreach (var spec in Specs)
        {
            _command.Options.Add(spec.CommandLineOption);
        }

        _command.Options.Add(_help);
    }

    /// <summary>Every option, in the order <c>--help</c> lists them; <c>--config</c> last when the command takes it.</summary>
    public IReadOnlyList<OptionSpec> Specs { get; }

    /// <summary>The <c>--help</c> text: the description, the usage line and every option with its default and variable.</summary>
    public string HelpText()
    {
        using var output = new StringWriter();
        _command.Parse(["--help"], s_parserConfiguration).Invoke(new InvocationConfiguration { Output = output });
        return output.ToString().TrimEnd();
    }

    /// <summary>Reads the options from <paramref name="args"/>, the environment and the <c>--config</c> file.</summary>
    /// <param name="args">The command line, without the program's name.</param>
    /// <param name="environment">The environment; the process's own when null (tests pass their own).</param>
    /// <returns>The values and every mistake found; never throws on bad input.</returns>
    public OptionValues Parse(IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        var parsed = _command.Parse(args, s_parserConfiguration);
        var errors = new List<string>();
        var helpRequested = parsed.GetResult(_help) is not null;
        ReportCommandLineErrors(parsed, errors);

        // The winning text of each option, with where it came from: the file first, each later source replacing it.
        var texts = new Dictionary<OptionSpec, (string Text, string Origin)>();
        var environmentLayer = ReadEnvironment(environment);
        string? configPath = null;
        if (_configFile is not null)
        {
            configPath = parsed.GetResult(_configFile.CommandLineOption) is { Tokens.Count: > 0 } given
                ? given.Tokens[^1].Value
                : environmentLayer.TryGetValue(_configFile, out var fromEnvironment) ? fromEnvironment.Text : null;
        }

        if (!string.IsNullOrEmpty(configPath))
        {
            foreach (var (spec, value) in ReadConfigFile(configPath, errors))
            {
                texts[spec] = value;
            }
        }

        foreach (var (spec, value) in environmentLayer)
        {
            texts[spec] = value;
        }

        foreach (var spec in Specs)
        {
            if (parsed.GetResult(spec.CommandLineOption) is { Tokens.Count: > 0 } given)
            {
                texts[spec] = (given.Tokens[^1].Value, "--" + spec.Name);
            }
        }

        var values = new Dictionary<OptionSpec, object?>();
        foreach (var spec in Specs)
        {
            if (!texts.TryGetValue(spec, out var winner))
            {
                continue;
            }

            var (text, origin) = winner;
            // An empty value is no value: PRICEFEED_SEED= in a script leaves the default.
            if (text.Length == 0)
            {
                continue;
            }

            if (spec.TryRead(text, out var value, out var problem))
            {
                values[spec] = value;
            }
            else
            {
                var from = origin == "--" + spec.Name ? "" : $" (from {origin})";
                errors.Add($"--{spec.Name}: '{text}'{from} {problem}.");
            }
        }

        return new OptionValues(values, errors, helpRequested);
    }

    private static void ReportCommandLineErrors(ParseResult parsed, List<string> errors)
    {
        foreach (var error in parsed.Errors)
        {
            // Unknown options and stray words: reported below from the unmatched tokens, in our words.
            if (error.SymbolResult is CommandResult)
            {
                continue;
            }

            errors.Add(error.SymbolResult is OptionResult { Tokens.Count: 0 } option
                ? $"{option.Option.Name}: a value is missing (write {option.Option.Name} VALUE)."
                : error.Message);
        }

        var unmatched = parsed.UnmatchedTokens;
        for (var i = 0; i < unmatched.Count; i++)
        {
            var token = unmatched[i];
            if (token.StartsWith('-') && token.Length > 1)
            {
                var equals = token.IndexOf('=', StringComparison.Ordinal);
                errors.Add($"{(equals < 0 ? token : token[..equals])}: unknown option (see --help for the list).");
                // "--prot 80": the 80 was meant for the unknown option; one mistake, one message.
                if (equals < 0 && i + 1 < unmatched.Count && !unmatched[i + 1].StartsWith('-'))
                {
                    i++;
                }
            }
            else
            {
                errors.Add($"Unexpected argument '{token}'; options look like --name value (see --help).");
            }
        }
    }

    private Dictionary<OptionSpec, (string Text, string Origin)> ReadEnvironment(IReadOnlyDictionary<string, string>? environment)
    {
        // The process's variables through the configuration provider made for them; a test's as the same keys.
        IConfigurationProvider provider = environment is null
            ? new EnvironmentVariablesConfigurationProvider(EnvironmentPrefix)
            : new MemoryConfigurationProvider(new MemoryConfigurationSource
            {
                InitialData = environment
                    .Where(e => e.Key.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase))
                    .Select(e => KeyValuePair.Create(e.Key[EnvironmentPrefix.Length..], (string?)e.Value)),
            });
        provider.Load();

        var result = new Dictionary<OptionSpec, (string, string)>();
        foreach (var (key, value) in TopLevelValues(provider))
        {
            // Other PRICEFEED_* variables belong to other tools (the load tool, the tests): ignore them.
            if (_byKey.TryGetValue(Key(key), out var spec))
            {
                result[spec] = (value, EnvironmentPrefix + key);
            }
        }

        return result;
    }

    private Dictionary<OptionSpec, (string Text, string Origin)> ReadConfigFile(string path, List<string> errors)
    {
        var result = new Dictionary<OptionSpec, (string, string)>();
        IConfigurationRoot root;
        try
        {
            root = new ConfigurationBuilder().AddJsonFile(Path.GetFullPath(path), optional: false).Build();
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or FormatException or UnauthorizedAccessException)
        {
            errors.Add($"--config: cannot read '{path}': {ex.Message}");
            return result;
        }

        using (root as IDisposable)
        {
            foreach (var section in root.GetChildren())
            {
                // A file is for the options of this command only: a misspelt key must not pass silently.
                if (section.Value is null || !_byKey.TryGetValue(Key(section.Key), out var spec))
                {
                    errors.Add($"--config: '{path}' has an unknown option '{section.Key}'.");
                    continue;
                }

                result[spec] = (section.Value, $"{path}:{section.Key}");
            }
        }

        return result;
    }

    private static IEnumerable<(string Key, string Value)> TopLevelValues(IConfigurationProvider provider)
    {
        foreach (var key in provider.GetChildKeys([], parentPath: null).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (provider.TryGet(key, out var value) && value is not null)
            {
                yield return (key, value);
            }
        }
    }

    /// <summary>The name without case, dashes or underscores: <c>queue-capacity</c>, <c>QUEUE_CAPACITY</c> and
    /// <c>queueCapacity</c> are one key.</summary>
    private static string Key(string name) =>
        name.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).ToUpperInvariant();
}
