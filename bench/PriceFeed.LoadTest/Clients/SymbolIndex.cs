using System.Text;

namespace PriceFeed.LoadTest.Clients;

/// <summary>Maps a symbol's UTF-8 bytes, as received, to its position in the server's symbol list without allocating.</summary>
/// <remarks>Built once before the clients start; read concurrently by all of them.</remarks>
internal sealed class SymbolIndex
{
    private const int MaxSymbolChars = 64;

    private readonly Dictionary<string, int> _byName;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _bySpan;

    public SymbolIndex(IReadOnlyList<string> symbols)
    {
        Symbols = symbols;
        _byName = new Dictionary<string, int>(symbols.Count, StringComparer.Ordinal);
        for (var i = 0; i < symbols.Count; i++)
        {
            _byName[symbols[i]] = i;
        }

        _bySpan = _byName.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public IReadOnlyList<string> Symbols { get; }

    public int Count => Symbols.Count;

    /// <summary>The symbol's index, or -1 for one the server did not list.</summary>
    public int Find(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > MaxSymbolChars)
        {
            return -1;
        }

        Span<char> chars = stackalloc char[MaxSymbolChars];
        var length = Encoding.UTF8.GetChars(utf8, chars);
        return _bySpan.TryGetValue(chars[..length], out var index) ? index : -1;
    }

    public int Find(string symbol) => _byName.TryGetValue(symbol, out var index) ? index : -1;
}
