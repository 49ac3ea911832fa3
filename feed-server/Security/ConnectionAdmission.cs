namespace PriceFeed.Server.Security;

/// <summary>Whether a new connection fits the server's connection limits.</summary>
/// <remarks>Both refusals are answered the same way (503, or 1013 after an upgrade, so WebSocket clients see the
/// contract's "server full"); they differ in the metric they count.</remarks>
internal enum ConnectionAdmission
{
    Admitted,

    /// <summary>Over <c>--max-connections</c>.</summary>
    ServerFull,

    /// <summary>Over <c>--max-connections-per-ip</c> for the peer's address.</summary>
    AddressFull,
}
