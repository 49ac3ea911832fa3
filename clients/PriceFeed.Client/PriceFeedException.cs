namespace PriceFeed.Client;

/// <summary>A failure of the PriceFeed conversation: refused connection, close by the server, lost heartbeat.</summary>
public sealed class PriceFeedException : Exception
{
    /// <summary>Creates an exception without details.</summary>
    public PriceFeedException()
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    public PriceFeedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the exception that caused it.</summary>
    public PriceFeedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception for a connection the server closed with <paramref name="closeCode"/>.</summary>
    public PriceFeedException(string message, int closeCode)
        : base(message) => CloseCode = closeCode;

    /// <summary>The WebSocket close code the server sent (docs/protocol.md, "Close codes"), when that is what happened.</summary>
    public int? CloseCode { get; }

    /// <summary>Whether a new connection may succeed. False for refusals that would repeat: a rejected token,
    /// a policy or protocol violation, a message this client cannot parse.</summary>
    public bool IsTransient { get; internal init; } = true;
}
