namespace PriceFeed.Server.Wire;

/// <summary>The subprotocols of the PriceFeed contract (docs/protocol.md, "Endpoint and subprotocols").</summary>
internal static class FeedSubprotocols
{
    /// <summary>Binary frames holding protobuf messages; the default when the client offers none.</summary>
    public const string ProtoV1 = "pricefeed.v1.proto";

    /// <summary>Text frames holding the proto3 canonical JSON form of the same messages.</summary>
    public const string JsonV1 = "pricefeed.v1.json";

    /// <summary>Every supported subprotocol, the default first.</summary>
    public static IReadOnlyList<string> All { get; } = [ProtoV1, JsonV1];
}
