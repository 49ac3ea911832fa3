using System.Runtime.InteropServices;
using System.Text;
using PriceFeed.Server.Quotes;

namespace PriceFeed.Server.Sources.Redis;

/// <summary>Maps a symbol's wire bytes to its id in the <see cref="SymbolTable"/> without making a string.</summary>
/// <remarks>
/// <para>A symbol is at most <see cref="SymbolTable.MaxSymbolBytes"/> (32) bytes, so its bytes fit in a fixed
/// 32-byte key (four <c>ulong</c>s plus the length): a value-type dictionary key, built on the stack.
/// A string is made once per symbol, the first time it is seen, to intern it.</para>
/// <para>Single-threaded: the bus thread only.</para>
/// </remarks>
internal sealed class SymbolCache
{
    private readonly SymbolTable _symbols;
    private readonly Dictionary<SymbolKey, int> _ids = [];

    public SymbolCache(SymbolTable symbols) => _symbols = symbols;

    /// <summary>The id of the symbol spelled by <paramref name="utf8"/>, interning it on first sight.</summary>
    /// <returns>False when the bytes are not a valid symbol or the symbol table is full.</returns>
    public bool TryGetId(ReadOnlySpan<byte> utf8, out int id)
    {
        id = -1;
        if (utf8.IsEmpty || utf8.Length > SymbolTable.MaxSymbolBytes)
        {
            return false;
        }

        var key = SymbolKey.From(utf8);
        if (_ids.TryGetValue(key, out id))
        {
            return true;
        }

        return TryIntern(utf8, key, out id);
    }

    private bool TryIntern(ReadOnlySpan<byte> utf8, SymbolKey key, out int id)
    {
        id = -1;
        // Printable ASCII only (SymbolTable.IsValid): any other byte, or a UTF-8 sequence, is refused before a string exists.
        foreach (var b in utf8)
        {
            if (b is <= (byte)' ' or > (byte)'~')
            {
                return false;
            }
        }

        var symbol = Encoding.ASCII.GetString(utf8);
        if (!SymbolTable.IsValid(symbol))
        {
            return false;
        }

        try
        {
            id = _symbols.Intern(symbol);
        }
        catch (InvalidOperationException)
        {
            // The table is full (--max-symbols): the quote is refused, the node keeps serving the symbols it has.
            return false;
        }

        _ids.Add(key, id);
        return true;
    }

    /// <summary>A symbol's bytes, zero-padded to 32, and its length.</summary>
    private readonly record struct SymbolKey(ulong A, ulong B, ulong C, ulong D, int Length)
    {
        public static SymbolKey From(ReadOnlySpan<byte> utf8)
        {
            Span<byte> padded = stackalloc byte[SymbolTable.MaxSymbolBytes];
            padded.Clear();
            utf8.CopyTo(padded);
            var words = MemoryMarshal.Cast<byte, ulong>(padded);
            return new SymbolKey(words[0], words[1], words[2], words[3], utf8.Length);
        }
    }
}
