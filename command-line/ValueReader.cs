using System.Globalization;

namespace PriceFeed.CommandLine;

/// <summary>Reads an option's text as a value; <see langword="false"/> when the text is not one.</summary>
public delegate bool TryReadValue<T>(string text, out T value);

/// <summary>What values an option takes: how its text is read, what the error says was expected, and how
/// <c>--help</c> shows a value. Made by <see cref="ValueReaders"/>.</summary>
/// <remarks>One reader serves the command line, the environment and the JSON file, so a value means the
/// same wherever it is written.</remarks>
public sealed class ValueReader<T>
{
    private readonly TryReadValue<T> _tryRead;
    private readonly Func<T, string>? _format;

    /// <param name="tryRead">Reads the text.</param>
    /// <param name="expected">What a valid value looks like, for error messages: <c>a whole number from 0 to 65535</c>.</param>
    /// <param name="format">Shows a value as the text that reads back to it; the invariant culture's text when null.</param>
    public ValueReader(TryReadValue<T> tryRead, string expected, Func<T, string>? format = null)
    {
        ArgumentNullException.ThrowIfNull(tryRead);
        ArgumentException.ThrowIfNullOrEmpty(expected);
        _tryRead = tryRead;
        _format = format;
        Expected = expected;
    }

    /// <summary>What a valid value looks like, e.g. <c>one of conflate, drop</c>.</summary>
    public string Expected { get; }

    /// <summary>Reads <paramref name="text"/>; <see langword="false"/> when it is not a valid value.</summary>
    public bool TryRead(string text, out T value) => _tryRead(text, out value);

    /// <summary>The text of <paramref name="value"/>, as <c>--help</c> shows a default.</summary>
    public string Format(T value) =>
        _format is not null ? _format(value) : Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
}
