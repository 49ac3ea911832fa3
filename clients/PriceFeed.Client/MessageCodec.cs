using System.Net.WebSockets;
using System.Text;
using Google.Protobuf;
using PriceFeed.Protocol.V1;

namespace PriceFeed.Client;

/// <summary>One subprotocol's mapping between messages and WebSocket frames (docs/protocol.md, "Endpoint and subprotocols": one message per WebSocket message).</summary>
internal sealed class MessageCodec
{
    public static readonly MessageCodec Proto = new("pricefeed.v1.proto", WebSocketMessageType.Binary);
    public static readonly MessageCodec Json = new("pricefeed.v1.json", WebSocketMessageType.Text);

    // Fields are only ever added to the contract: a newer server must not break this client.
    private static readonly JsonParser s_jsonParser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    private MessageCodec(string name, WebSocketMessageType messageType)
    {
        Name = name;
        MessageType = messageType;
    }

    /// <summary>The subprotocol name offered in the handshake.</summary>
    public string Name { get; }

    /// <summary>The frame type every message of this subprotocol travels in.</summary>
    public WebSocketMessageType MessageType { get; }

    public static MessageCodec For(PriceFeedSubprotocol subprotocol) =>
        subprotocol == PriceFeedSubprotocol.Json ? Json : Proto;

    /// <summary>Encodes a client message; these are small and rare, so a fresh array is fine.</summary>
    public byte[] Encode(ClientMessage message) =>
        MessageType == WebSocketMessageType.Text
            ? Encoding.UTF8.GetBytes(JsonFormatter.Default.Format(message))
            : message.ToByteArray();

    /// <summary>Decodes a server message; throws <see cref="PriceFeedException"/> when the payload is not one.</summary>
    public ServerMessage Decode(ReadOnlySpan<byte> payload)
    {
        try
        {
            return MessageType == WebSocketMessageType.Text
                ? s_jsonParser.Parse<ServerMessage>(Encoding.UTF8.GetString(payload))
                : ServerMessage.Parser.ParseFrom(payload);
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or InvalidJsonException)
        {
            throw new PriceFeedException($"The server sent a message that is not a {Name} ServerMessage: {ex.Message}", ex) { IsTransient = false };
        }
    }
}
