using System.Buffers.Binary;

namespace PriceFeed.LoadTest.Clients;

/// <summary>A forward-only protobuf wire-format reader over a span: the receive path of thousands of clients allocates nothing.</summary>
/// <remarks>Malformed input throws <see cref="FormatException"/>; the client counts it as an error and moves on.</remarks>
internal ref struct ProtoReader
{
    private const int WireVarint = 0;
    private const int WireFixed64 = 1;
    private const int WireLengthDelimited = 2;
    private const int WireFixed32 = 5;

    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public ProtoReader(ReadOnlySpan<byte> data) => _data = data;

    public readonly bool End => _position >= _data.Length;

    /// <summary>Reads the next field's tag; false at the end of the data.</summary>
    public bool TryReadTag(out int field, out int wireType)
    {
        if (End)
        {
            field = 0;
            wireType = 0;
            return false;
        }

        var tag = ReadVarint();
        field = (int)(tag >> 3);
        wireType = (int)(tag & 7);
        return true;
    }

    public ulong ReadVarint()
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _data.Length)
            {
                throw new FormatException("Truncated varint.");
            }

            var b = _data[_position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw new FormatException("Varint longer than 10 bytes.");
    }

    public double ReadDouble()
    {
        var value = BinaryPrimitives.ReadDoubleLittleEndian(Take(8));
        return value;
    }

    public ReadOnlySpan<byte> ReadLengthDelimited() => Take(checked((int)ReadVarint()));

    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case WireVarint:
                ReadVarint();
                break;
            case WireFixed64:
                Take(8);
                break;
            case WireLengthDelimited:
                ReadLengthDelimited();
                break;
            case WireFixed32:
                Take(4);
                break;
            default:
                throw new FormatException($"Unsupported wire type {wireType}.");
        }
    }

    private ReadOnlySpan<byte> Take(int length)
    {
        if (length < 0 || _position + length > _data.Length)
        {
            throw new FormatException("Field runs past the end of the message.");
        }

        var span = _data.Slice(_position, length);
        _position += length;
        return span;
    }
}
