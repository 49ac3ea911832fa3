namespace PriceFeed.Server.Security;

/// <summary>The symbols a client's licence covers: exact symbols and prefixes, from the token's <c>symbols</c> claim.</summary>
/// <remarks>
/// docs/protocol.md ("Tokens"): each entry is an exact symbol or a prefix ending in <c>*</c>; without the
/// claim the user is entitled to every symbol (<see cref="All"/>). <c>*</c> alone is the empty prefix,
/// so it too means every symbol. Matching is ordinal: symbols are case-sensitive everywhere else.
/// Immutable, so one instance is shared by any thread.
/// </remarks>
internal sealed class Entitlements
{
    /// <summary>Every symbol: no <c>symbols</c> claim, or no authentication at all.</summary>
    public static readonly Entitlements All = new([], [""]);

    private readonly HashSet<string> _exact;
    private readonly string[] _prefixes;

    private Entitlements(HashSet<string> exact, string[] prefixes)
    {
        _exact = exact;
        _prefixes = prefixes;
    }

    /// <summary>Whether every symbol is allowed (then checks can be skipped entirely).</summary>
    public bool AllowsAll => Array.IndexOf(_prefixes, "") >= 0;

    /// <summary>The entries as written in a token, exact symbols first, for logs and <c>mint-token</c>.</summary>
    public IEnumerable<string> Entries => _exact.Concat(_prefixes.Select(prefix => prefix + "*"));

    /// <summary>Reads the entries of a <c>symbols</c> claim; blank entries are ignored.</summary>
    public static Entitlements Parse(IEnumerable<string> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var exact = new HashSet<string>(StringComparer.Ordinal);
        var prefixes = new List<string>();
        foreach (var raw in entries)
        {
            var entry = raw.Trim();
            if (entry.Length == 0)
            {
                continue;
            }

            if (entry.EndsWith('*'))
            {
                prefixes.Add(entry[..^1]);
            }
            else
            {
                exact.Add(entry);
            }
        }

        return new Entitlements(exact, [.. prefixes.Distinct(StringComparer.Ordinal)]);
    }

    /// <summary>Whether the licence covers <paramref name="symbol"/>.</summary>
    public bool Allows(string symbol)
    {
        ArgumentNullException.ThrowIfNull(symbol);
        if (_exact.Contains(symbol))
        {
            return true;
        }

        foreach (var prefix in _prefixes)
        {
            if (symbol.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <inheritdoc/>
    public override string ToString() => AllowsAll ? "*" : string.Join(",", Entries);
}
