namespace PriceFeed.Client;

/// <summary>The WebSocket subprotocol the client offers (docs/protocol.md, "Endpoint and subprotocols").</summary>
public enum PriceFeedSubprotocol
{
    /// <summary><c>pricefeed.v1.proto</c>: binary frames holding protobuf messages. Smaller and faster to parse.</summary>
    Proto,

    /// <summary><c>pricefeed.v1.json</c>: text frames holding the proto3 canonical JSON form. Readable in a packet capture.</summary>
    Json,
}
