namespace PriceFeed.Client;

/// <summary>A symbol the server refused, and why.</summary>
/// <param name="Symbol">The symbol as requested.</param>
/// <param name="Reason">The server's reason: <c>unknown_symbol</c>, <c>limit</c>, <c>not_entitled</c>, ...</param>
public sealed record SymbolRejection(string Symbol, string Reason);
