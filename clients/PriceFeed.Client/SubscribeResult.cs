namespace PriceFeed.Client;

/// <summary>The server's answer to a subscribe request (docs/protocol.md, "Messages", <c>subscribe_result</c>).</summary>
/// <param name="RequestId">The id the client gave the request.</param>
/// <param name="Accepted">Symbols now subscribed (<c>*</c> stays <c>*</c>).</param>
/// <param name="Rejected">Symbols refused, each with the server's reason.</param>
public sealed record SubscribeResult(ulong RequestId, IReadOnlyList<string> Accepted, IReadOnlyList<SymbolRejection> Rejected);
