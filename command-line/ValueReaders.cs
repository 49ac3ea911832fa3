using System.Globalization;
using System.Numerics;

namespace PriceFeed.CommandLine;

/// <summary>The kinds of value our options take: text, whole numbers and numbers in a range, a choice of names.</summary>
public static class ValueReaders
{
    /// <summary>Any text.</summary>
    public static ValueReader<string> Text { get; } = new((string text, out string value) =>
    {
        value = text;
        return true;
    }, "text");

    /// <summary>Any text, for an option whose default is that it is not set.</summary>
    public static ValueReader<string?> OptionalText { get; } = new((string text, out string? value) =>
    {
        value = text;
        return true;
    }, "text", value => value ?? "none");

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>. Digit groups may be
    /// written with <c>_</c> or <c>,</c> (<c>100_000</c>): rates and sizes read more easily that way.</summary>
    public static ValueReader<T> WholeNumber<T>(T min, T max)
        where T : struct, IBinaryInteger<T>, IMinMaxValue<T> =>
        new(
            (string text, out T value) =>
                T.TryParse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.Integer | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out value)
                && value >= min && value <= max,
            min == T.MinValue && max == T.MaxValue ? "a whole number" : Invariant($"a whole number from {min} to {max}"));

    /// <summary>Any whole number of <typeparamref name="T"/>: the options type checks the range itself.</summary>
    public static ValueReader<T> WholeNumber<T>()
        where T : struct, IBinaryInteger<T>, IMinMaxValue<T> => WholeNumber(T.MinValue, T.MaxValue);

    /// <summary>A finite number from <paramref name="min"/> to <paramref name="max"/>, with a decimal point if any.</summary>
    public static ValueReader<double> Number(double min = double.MinValue, double max = double.MaxValue) =>
        new(
            (string text, out double value) =>
                double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value)
                && double.IsFinite(value) && value >= min && value <= max,
            min == double.MinValue && max == double.MaxValue ? "a number" : Invariant($"a number from {min} to {max}"));

    /// <summary>One of <paramref name="choices"/>, written without regard to case.</summary>
    public static ValueReader<T> OneOf<T>(params (string Name, T Value)[] choices)
    {
        ArgumentOutOfRangeException.ThrowIfZero(choices.Length);
        return new(
            (string text, out T value) =>
            {
                foreach (var (name, candidate) in choices)
                {
                    if (text.AsSpan().Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
                    {
                        value = candidate;
                        return true;
                    }
                }

                value = default!;
                return false;
            },
            "one of " + string.Join(", ", choices.Select(c => c.Name)),
            value => choices.First(c => EqualityComparer<T>.Default.Equals(c.Value, value)).Name);
    }

    /// <summary>The same values, or none: for an option whose default is that it is not set.</summary>
    public static ValueReader<T?> Optional<T>(ValueReader<T> reader)
        where T : struct
    {
        ArgumentNullException.ThrowIfNull(reader);
        return new(
            (string text, out T? value) =>
            {
                var read = reader.TryRead(text, out var inner);
                value = read ? inner : null;
                return read;
            },
            reader.Expected,
            value => value is { } inner ? reader.Format(inner) : "none");
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
