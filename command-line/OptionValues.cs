namespace PriceFeed.CommandLine;

/// <summary>The values <see cref="OptionSet.Parse"/> read, and every mistake found, each naming its option.</summary>
/// <remarks>Not thread-safe: one parse, read by the code that binds it.</remarks>
public sealed class OptionValues
{
    private readonly Dictionary<OptionSpec, object?> _values;
    private readonly List<string> _errors;

    internal OptionValues(Dictionary<OptionSpec, object?> values, List<string> errors, bool helpRequested)
    {
        _values = values;
        _errors = errors;
        HelpRequested = helpRequested;
    }

    /// <summary>True when <c>--help</c> (or <c>-h</c>, <c>-?</c>) was given: show the help and do nothing else.</summary>
    public bool HelpRequested { get; }

    /// <summary>Every mistake, each starting with the option's name (<c>--port: ...</c>).</summary>
    public IReadOnlyList<string> Errors => _errors;

    /// <summary>The value some source set, or the option's default.</summary>
    public T Get<T>(OptionSpec<T> spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return _values.TryGetValue(spec, out var value) ? (T)value! : spec.Default;
    }

    /// <summary>Records a mistake the caller found itself, such as one that involves two options.</summary>
    /// <param name="name">The option to change, without dashes.</param>
    /// <param name="message">What is wrong and, where it helps, what to do.</param>
    public void Fail(string name, string message) => _errors.Add($"--{name}: {message}");

    /// <inheritdoc cref="Fail(string, string)" />
    public void Fail(OptionSpec spec, string message) => Fail(spec?.Name ?? throw new ArgumentNullException(nameof(spec)), message);

    /// <summary>Records mistakes an options type found in itself; their messages already name the options.</summary>
    public void AddErrors(IEnumerable<string> messages) => _errors.AddRange(messages);
}
