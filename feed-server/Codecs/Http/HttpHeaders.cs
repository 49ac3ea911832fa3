namespace PriceFeed.Server.Codecs.Http;

/// <summary>The header fields of one request, in arrival order: names compared case-insensitively
/// (RFC 9110 5.1), a name may repeat.</summary>
internal sealed class HttpHeaders
{
    private readonly List<KeyValuePair<string, string>> _fields = [];

    /// <summary>Number of field lines.</summary>
    public int Count => _fields.Count;

    /// <summary>The field lines in arrival order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Fields => _fields;

    /// <summary>Appends a field line; <paramref name="value"/> is already trimmed of surrounding whitespace.</summary>
    public void Add(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        _fields.Add(new KeyValuePair<string, string>(name, value));
    }

    /// <summary>The first value of <paramref name="name"/>, or null when absent.</summary>
    public string? Get(string name)
    {
        foreach (var field in _fields)
        {
            if (string.Equals(field.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                return field.Value;
            }
        }

        return null;
    }

    /// <summary>Every value of <paramref name="name"/>, in arrival order (empty when absent).</summary>
    public IReadOnlyList<string> GetAll(string name)
    {
        List<string>? values = null;
        foreach (var field in _fields)
        {
            if (string.Equals(field.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                (values ??= []).Add(field.Value);
            }
        }

        return values ?? (IReadOnlyList<string>)[];
    }

    /// <summary>Whether <paramref name="name"/> holds the list element <paramref name="token"/>, compared
    /// case-insensitively, in any of its field lines.</summary>
    /// <remarks>RFC 9110 5.6.1: a list is elements separated by commas with optional whitespace (OWS, spaces
    /// and tabs) around them, and a field repeated on several lines is one list.
    /// <c>Connection: keep-alive, Upgrade</c> contains <c>upgrade</c>.</remarks>
    public bool ContainsToken(string name, string token)
    {
        foreach (var field in _fields)
        {
            if (!string.Equals(field.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            foreach (var range in field.Value.AsSpan().Split(','))
            {
                var element = field.Value.AsSpan(range).Trim(" \t");
                if (element.Equals(token, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The list elements of every line of <paramref name="name"/>, trimmed, empty elements skipped.</summary>
    public IReadOnlyList<string> GetTokens(string name)
    {
        var tokens = new List<string>();
        foreach (var value in GetAll(name))
        {
            foreach (var range in value.AsSpan().Split(','))
            {
                var element = value.AsSpan(range).Trim(" \t");
                if (!element.IsEmpty)
                {
                    tokens.Add(element.ToString());
                }
            }
        }

        return tokens;
    }
}
