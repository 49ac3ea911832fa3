namespace PriceFeed.Client;

/// <summary>Data of <see cref="PriceFeedClient.StateChanged"/>.</summary>
public sealed class ConnectionStateChangedEventArgs : EventArgs
{
    /// <summary>Creates the data of one state change.</summary>
    public ConnectionStateChangedEventArgs(ConnectionState state, int attempt, TimeSpan? retryDelay, Exception? cause)
    {
        State = state;
        Attempt = attempt;
        RetryDelay = retryDelay;
        Cause = cause;
    }

    /// <summary>The state entered.</summary>
    public ConnectionState State { get; }

    /// <summary>Connection attempts since the last successful one (0 when connected).</summary>
    public int Attempt { get; }

    /// <summary>For <see cref="ConnectionState.Reconnecting"/>: how long the client waits before the next attempt.</summary>
    public TimeSpan? RetryDelay { get; }

    /// <summary>Why the previous connection ended or the attempt failed; null for a change nothing went wrong in.</summary>
    public Exception? Cause { get; }
}
