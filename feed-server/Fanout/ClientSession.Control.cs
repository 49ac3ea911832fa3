using DotNetty.Common.Concurrency;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Quotes;

namespace PriceFeed.Server.Fanout;

// Control messages the fan-out side sends a client (status, slow_consumer, go_away): written at once through the session's
// handler, ahead of every quote still queued, never conflated or dropped (docs/protocol.md, "Slow-consumer warning").
internal sealed partial class ClientSession
{
    /// <summary>Writes a control message to the client at once, ahead of its queued quotes; set by the session's handler. Event loop.</summary>
    public Action<ServerMessage>? SendControl { get; set; }

    /// <summary>Tells the client whether quotes flow from the source (docs/protocol.md, "Feed status"). Any thread: written
    /// on the session's event loop.</summary>
    public void SendStatus(FeedState state) => SendOnLoop(new ServerMessage { Status = ToMessage(state) });

    /// <summary>The wire's form of <paramref name="state"/>.</summary>
    public static FeedStatus ToMessage(FeedState state) => new() { State = state.Name, Reason = state.Reason, SinceNs = state.SinceNs };

    /// <summary>
    /// Tells the client the server is going away and when to come back (docs/protocol.md, "Go-away"). Any thread: the
    /// message is written on the session's event loop, so it goes before a close the caller starts after this call.
    /// </summary>
    public void GoAway(uint reconnectAfterMs, string reason) =>
        SendOnLoop(new ServerMessage { GoAway = new GoAway { ReconnectAfterMs = reconnectAfterMs, Reason = reason } });

    private void SendOnLoop(ServerMessage message)
    {
        if (_closed)
        {
            return;
        }

        try
        {
            _context.Executor.Execute(static (s, m) => ((ClientSession)s).SendControl?.Invoke((ServerMessage)m), this, message);
        }
        catch (RejectedExecutionException)
        {
            // The event loop is shutting down already: the close tells the client enough.
        }
    }
}
