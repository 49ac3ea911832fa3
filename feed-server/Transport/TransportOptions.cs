using System.Security.Cryptography.X509Certificates;

namespace PriceFeed.Server.Transport;

/// <summary>What the listener and each connection's first handlers need: where to bind, TLS, and the limits they enforce.</summary>
/// <remarks>Built by the host from its validated options; the defaults and their reasons are the host's
/// (<c>FeedServerLimits</c>), so none is repeated here.</remarks>
internal sealed record TransportOptions
{
    /// <summary>The address to listen on: an IP address or a host name.</summary>
    public required string Host { get; init; }

    /// <summary>The port to listen on; 0 for any free one.</summary>
    public required int Port { get; init; }

    /// <summary>With a certificate, every connection is TLS (<c>https://</c>, <c>wss://</c>).</summary>
    public X509Certificate2? TlsCertificate { get; init; }

    /// <summary><c>--max-connections</c>.</summary>
    public required int MaxConnections { get; init; }

    /// <summary><c>--max-connections-per-ip</c>.</summary>
    public required int MaxConnectionsPerIp { get; init; }

    /// <summary><c>--handshake-timeout-ms</c>: time allowed to send a complete HTTP request.</summary>
    public required TimeSpan HandshakeTimeout { get; init; }

    /// <summary><c>--max-request-line-bytes</c>.</summary>
    public required int MaxRequestLineBytes { get; init; }

    /// <summary><c>--max-header-bytes</c>.</summary>
    public required int MaxHeaderBytes { get; init; }

    /// <summary><c>--close-timeout-ms</c>: how long a server-initiated close waits for the peer's.</summary>
    public required TimeSpan CloseTimeout { get; init; }

    /// <summary><c>--max-queued-bytes</c>: the bytes waiting in all clients' socket buffers together.</summary>
    public required long MaxQueuedBytes { get; init; }
}
