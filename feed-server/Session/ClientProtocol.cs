using System.Text;
using DotNetty.Buffers;
using Google.Protobuf;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Codecs.WebSockets;
using PriceFeed.Server.Wire;

namespace PriceFeed.Server.Session;

/// <summary>
/// The subprotocol a session speaks: how a <c>ServerMessage</c> becomes a frame and a frame
/// becomes a <c>ClientMessage</c> (docs/protocol.md, "Endpoint and subprotocols": one WebSocket message carries exactly one message).
/// </summary>
/// <remarks>
/// <c>pricefeed.v1.proto</c>: binary frames with protobuf bytes. <c>pricefeed.v1.json</c>: text
/// frames with the proto3 canonical JSON form (Google.Protobuf's formatter and parser). Used for
/// control messages; quotes are pre-encoded once by the fan-out, never through here.
/// </remarks>
internal sealed class ClientProtocol
{
    public static readonly ClientProtocol Proto = new(FeedSubprotocols.ProtoV1, WebSocketOpcode.Binary);
    public static readonly ClientProtocol Json = new(FeedSubprotocols.JsonV1, WebSocketOpcode.Text);

    // Ignoring unknown fields keeps old servers working with newer clients (docs/protocol.md, "Changes to the protocol": fields are only ever added).
    private static readonly JsonParser s_jsonParser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    private ClientProtocol(string name, WebSocketOpcode opcode)
    {
        Name = name;
        Opcode = opcode;
    }

    /// <summary>The subprotocol's name, as negotiated and announced in <c>hello</c>.</summary>
    public string Name { get; }

    /// <summary>The frame type every message of this subprotocol travels in.</summary>
    public WebSocketOpcode Opcode { get; }

    public bool IsJson => Opcode == WebSocketOpcode.Text;

    public static ClientProtocol ForSubprotocol(string subprotocol) =>
        subprotocol == FeedSubprotocols.JsonV1 ? Json : Proto;

    /// <summary>Encodes <paramref name="message"/> into a frame of this subprotocol.</summary>
    public WebSocketFrame Encode(ServerMessage message, IByteBufferAllocator allocator)
    {
        if (IsJson)
        {
            var text = JsonFormatter.Default.Format(message);
            var buffer = allocator.Buffer(Encoding.UTF8.GetMaxByteCount(text.Length));
            var length = Encoding.UTF8.GetBytes(text, ByteBuffers.WritableSpan(buffer, Encoding.UTF8.GetMaxByteCount(text.Length)));
            buffer.SetWriterIndex(buffer.WriterIndex + length);
            return WebSocketFrame.TextFrame(buffer);
        }

        var size = message.CalculateSize();
        var binary = allocator.Buffer(size);
        message.WriteTo(ByteBuffers.WritableSpan(binary, size)[..size]);
        binary.SetWriterIndex(binary.WriterIndex + size);
        return WebSocketFrame.BinaryFrame(binary);
    }

    /// <summary>Parses a client's message; false with a reason when it is not a valid <c>ClientMessage</c>.</summary>
    public bool TryDecode(IByteBuffer payload, out ClientMessage? message, out string error)
    {
        try
        {
            if (IsJson)
            {
                message = s_jsonParser.Parse<ClientMessage>(payload.ToString(Encoding.UTF8));
            }
            else
            {
                message = ClientMessage.Parser.ParseFrom(ByteBuffers.ReadableBytes(payload));
            }
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or InvalidJsonException)
        {
            message = null;
            error = $"unparsable {Name} message: {ex.Message}";
            return false;
        }

        if (message.BodyCase == ClientMessage.BodyOneofCase.None)
        {
            message = null;
            error = "unknown message: expected one of subscribe, unsubscribe, ping, auth";
            return false;
        }

        error = "";
        return true;
    }
}
