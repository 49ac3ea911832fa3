using System.Collections.Concurrent;
using System.Text;

namespace PriceFeed.Server.Quotes;

/// <summary>Interns symbols to small integer ids at the edge, so the ring and the fan-out carry no strings.</summary>
/// <remarks>
/// Ids are dense, start at 0 and are never reused or removed: arrays indexed by id (last-value
/// cache, subscriber lists) stay valid for the life of the process. <see cref="Intern"/> may be
/// called from any thread (sources call it at start-up or when a new symbol first appears);
/// lookups are lock-free.
/// </remarks>
internal sealed class SymbolTable
{
    /// <summary>Longest symbol accepted, in UTF-8 bytes; fixed so encoded quotes have a known maximum size.</summary>
    public const int MaxSymbolBytes = 32;

    private readonly ConcurrentDictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly string[] _names;
    private readonly byte[][] _utf8Names;
    private readonly Lock _internLock = new();
    private int _count;

    /// <param name="capacity">The most symbols this process will ever hold.</param>
    public SymbolTable(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _names = new string[capacity];
        _utf8Names = new byte[capacity][];
    }

    /// <summary>Raised after a new symbol got its id, on the thread that interned it.</summary>
    public event Action<int>? SymbolAdded;

    /// <summary>How many symbols have ids; ids are 0 to Count - 1.</summary>
    public int Count => Volatile.Read(ref _count);

    public int Capacity => _names.Length;

    /// <summary>The symbol's id, creating it on first sight.</summary>
    /// <exception cref="ArgumentException">The symbol is empty, too long or has characters outside printable ASCII.</exception>
    /// <exception cref="InvalidOperationException">The table is full.</exception>
    public int Intern(string symbol)
    {
        if (_ids.TryGetValue(symbol, out var id))
        {
            return id;
        }

        if (!IsValid(symbol))
        {
            throw new ArgumentException(
                $"Symbol '{symbol}' is not valid: 1 to {MaxSymbolBytes} printable ASCII characters, no spaces, not '*'.",
                nameof(symbol));
        }

        lock (_internLock)
        {
            if (_ids.TryGetValue(symbol, out id))
            {
                return id;
            }

            id = _count;
            if (id == _names.Length)
            {
                throw new InvalidOperationException(
                    $"The symbol table is full ({_names.Length} symbols); raise the symbol capacity (option --max-symbols).");
            }

            _names[id] = symbol;
            _utf8Names[id] = Encoding.ASCII.GetBytes(symbol);
            // Publish the arrays' entries before the count and the dictionary make the id visible.
            Volatile.Write(ref _count, id + 1);
            _ids[symbol] = id;
        }

        SymbolAdded?.Invoke(id);
        return id;
    }

    public bool TryGetId(string symbol, out int id) => _ids.TryGetValue(symbol, out id);

    public string GetName(int id) => _names[id];

    /// <summary>The symbol's bytes as they go on the wire (ASCII is UTF-8).</summary>
    public ReadOnlySpan<byte> GetUtf8Name(int id) => _utf8Names[id];

    /// <summary>Every symbol in id order; a copy, for listings off the hot path.</summary>
    public string[] ToArray() => _names.AsSpan(0, Count).ToArray();

    /// <summary>A symbol: 1 to 32 printable ASCII characters without spaces, and not the wildcard "*".</summary>
    public static bool IsValid(string? symbol)
    {
        if (string.IsNullOrEmpty(symbol) || symbol.Length > MaxSymbolBytes || symbol == "*")
        {
            return false;
        }

        foreach (var c in symbol)
        {
            if (c is <= ' ' or > '~')
            {
                return false;
            }
        }

        return true;
    }
}
