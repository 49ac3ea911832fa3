using System.Globalization;

namespace PriceFeed.Protocol;

/// <summary>A Redis stream entry id, <c>&lt;Ms&gt;-&lt;Seq&gt;</c>: the position of a batch on the bus (docs/scale-out.md).</summary>
/// <remarks>Ordered as Redis orders them: by <see cref="Ms"/>, then <see cref="Seq"/>. <see cref="None"/> (0-0) is never
/// an entry's id (Redis refuses it), so it stands for "no entry": the previous id of an epoch's first entry, or a
/// node that has applied nothing yet.</remarks>
public readonly record struct BusEntryId(ulong Ms, ulong Seq) : IComparable<BusEntryId>
{
    public static readonly BusEntryId None;

    public bool IsNone => Ms == 0 && Seq == 0;

    public static bool operator <(BusEntryId left, BusEntryId right) => left.CompareTo(right) < 0;

    public static bool operator >(BusEntryId left, BusEntryId right) => left.CompareTo(right) > 0;

    public static bool operator <=(BusEntryId left, BusEntryId right) => left.CompareTo(right) <= 0;

    public static bool operator >=(BusEntryId left, BusEntryId right) => left.CompareTo(right) >= 0;

    public int CompareTo(BusEntryId other) => Ms != other.Ms ? Ms.CompareTo(other.Ms) : Seq.CompareTo(other.Seq);

    /// <summary>The id right after this one: what a writer may use next within the same millisecond.</summary>
    public BusEntryId Next() => new(Ms, Seq + 1);

    /// <summary>Reads <c>ms-seq</c> as Redis writes it.</summary>
    public static bool TryParse(string? text, out BusEntryId id)
    {
        id = None;
        var dash = text?.IndexOf('-', StringComparison.Ordinal) ?? -1;
        if (dash <= 0
            || !ulong.TryParse(text.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            || !ulong.TryParse(text.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
        {
            return false;
        }

        id = new BusEntryId(ms, seq);
        return true;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Ms}-{Seq}");
}
