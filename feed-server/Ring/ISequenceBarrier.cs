namespace PriceFeed.Server.Ring;

/// <summary>
/// What a consumer waits on: the producer's cursor, through a wait strategy, plus an alert
/// that tells the consumer to stop.
/// </summary>
/// <remarks>
/// <see cref="WaitFor"/> and <see cref="CheckAlert"/> are called by the consumer's thread;
/// <see cref="Alert"/> and <see cref="ClearAlert"/> may be called from any thread.
/// </remarks>
internal interface ISequenceBarrier
{
    /// <summary>The producer's cursor: the highest published sequence.</summary>
    long Cursor { get; }

    /// <summary>Whether the barrier is alerted.</summary>
    bool IsAlerted { get; }

    /// <summary>Waits until <paramref name="sequence"/> is published.</summary>
    /// <returns>The highest published sequence, at least <paramref name="sequence"/>: the
    /// consumer may process everything up to it as one batch.</returns>
    /// <exception cref="AlertException">The barrier is alerted.</exception>
    long WaitFor(long sequence);

    /// <summary>Alerts the barrier: waits in progress and to come throw
    /// <see cref="AlertException"/> until <see cref="ClearAlert"/>.</summary>
    void Alert();

    /// <summary>Clears the alert.</summary>
    void ClearAlert();

    /// <summary>Throws <see cref="AlertException"/> if the barrier is alerted.</summary>
    /// <exception cref="AlertException">The barrier is alerted.</exception>
    void CheckAlert();
}
