using System.CommandLine;

namespace PriceFeed.CommandLine;

/// <summary>One option, declared once: its name, its default, what it does and which values it takes.</summary>
/// <remarks>
/// The same declaration makes the System.CommandLine option (<c>--queue-capacity</c>), names the environment
/// variable (<c>PRICEFEED_QUEUE_CAPACITY</c>) and the JSON key (<c>queueCapacity</c> or <c>queue-capacity</c>),
/// reads the value from whichever of them sets it, and shows the default in <c>--help</c>.
/// </remarks>
public abstract class OptionSpec
{
    private protected OptionSpec(string name, string help)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(help);
        Name = name;
        Help = help;
        // Repeated options are allowed and the last one wins, so that a script can append to a list of arguments
        // to override it; one value per occurrence all the same (--port 1 2 leaves 2 unexpected).
        CommandLineOption = new Option<string[]>("--" + name)
        {
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
            HelpName = "value",
        };
    }

    /// <summary>The command-line name without dashes, e.g. <c>queue-capacity</c>.</summary>
    public string Name { get; }

    /// <summary>One line on what it does, and where it is not plain, why the default is what it is.</summary>
    public string Help { get; }

    /// <summary>The default as <c>--help</c> shows it.</summary>
    public abstract string DefaultText { get; }

    /// <summary>The environment variable that can set it, e.g. <c>PRICEFEED_QUEUE_CAPACITY</c>.</summary>
    public string EnvironmentVariable => OptionSet.EnvironmentPrefix + Name.Replace('-', '_').ToUpperInvariant();

    /// <summary>The option as System.CommandLine parses it: the text, converted by <see cref="TryRead"/>.</summary>
    internal Option<string[]> CommandLineOption { get; }

    /// <summary>Reads <paramref name="text"/>; on failure <paramref name="problem"/> says why, to follow the quoted text.</summary>
    internal abstract bool TryRead(string text, out object? value, out string problem);
}

/// <summary>An option whose value is a <typeparamref name="T"/>.</summary>
/// <example><code>
/// // 1024: a second of quotes for a client subscribed to everything at the default rate.
/// static readonly OptionSpec&lt;int&gt; s_queueCapacity =
///     new("queue-capacity", 1024, ValueReaders.WholeNumber(1, 1 &lt;&lt; 20), "per-client bound on pending updates");
/// </code></example>
public sealed class OptionSpec<T> : OptionSpec
{
    private readonly ValueReader<T> _reader;
    private readonly string? _defaultText;
    private readonly List<(Func<T, bool> Holds, Func<T, string> Problem)> _checks = [];

    /// <param name="name">The command-line name without dashes.</param>
    /// <param name="defaultValue">The value when no source sets it.</param>
    /// <param name="reader">The values it takes.</param>
    /// <param name="help">What it does.</param>
    /// <param name="defaultText">The default as <c>--help</c> shows it, when the value's own text does not say it
    /// (<c>random</c>, <c>host name and port</c>).</param>
    public OptionSpec(string name, T defaultValue, ValueReader<T> reader, string help, string? defaultText = null)
        : base(name, help)
    {
        ArgumentNullException.ThrowIfNull(reader);
        Default = defaultValue;
        _reader = reader;
        _defaultText = defaultText;
        CommandLineOption.Description = $"{help} (default: {DefaultText}; env {EnvironmentVariable})";
    }

    /// <summary>The value when no source sets it.</summary>
    public T Default { get; }

    /// <inheritdoc />
    public override string DefaultText => _defaultText ?? _reader.Format(Default);

    /// <summary>Adds a rule a value must follow beyond its kind, checked wherever the value comes from.</summary>
    /// <param name="holds">True for a good value.</param>
    /// <param name="problem">What is wrong with a bad one, to follow the quoted text: <c>is not a power of two (try 1024)</c>.</param>
    public OptionSpec<T> Must(Func<T, bool> holds, Func<T, string> problem)
    {
        ArgumentNullException.ThrowIfNull(holds);
        ArgumentNullException.ThrowIfNull(problem);
        _checks.Add((holds, problem));
        return this;
    }

    /// <summary>The text of <paramref name="value"/> as this option reads it: <c>drop</c>, <c>event-loop</c>.</summary>
    public string Format(T value) => _reader.Format(value);

    internal override bool TryRead(string text, out object? value, out string problem)
    {
        value = null;
        if (!_reader.TryRead(text, out var read))
        {
            problem = "is not valid; expected " + _reader.Expected;
            return false;
        }

        foreach (var (holds, describe) in _checks)
        {
            if (!holds(read))
            {
                problem = describe(read);
                return false;
            }
        }

        value = read;
        problem = "";
        return true;
    }
}
