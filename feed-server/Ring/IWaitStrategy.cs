namespace PriceFeed.Server.Ring;

/// <summary>
/// How a consumer waits for the producer to publish the sequence it needs next: the trade
/// between latency and the CPU a waiting consumer burns.
/// </summary>
/// <remarks>
/// Implementations are thread-safe: consumers call <see cref="WaitFor"/> while the producer
/// calls <see cref="SignalAllWhenBlocking"/> after every publish, so that call must cost
/// (nearly) nothing when no consumer is blocked.
/// </remarks>
internal interface IWaitStrategy
{
    /// <summary>Waits until <paramref name="cursor"/> reaches <paramref name="sequence"/>.</summary>
    /// <param name="sequence">The sequence the consumer needs next.</param>
    /// <param name="cursor">The producer's cursor: the highest published sequence.</param>
    /// <param name="barrier">Checked while waiting, so that an alert ends the wait.</param>
    /// <returns>The cursor's value, at least <paramref name="sequence"/>: everything up to it
    /// is published and can be processed as one batch.</returns>
    /// <exception cref="AlertException">The barrier was alerted.</exception>
    long WaitFor(long sequence, Sequence cursor, ISequenceBarrier barrier);

    /// <summary>Wakes consumers blocked in <see cref="WaitFor"/>, if any. Called by the
    /// producer after each publish and by <see cref="ISequenceBarrier.Alert"/>.</summary>
    void SignalAllWhenBlocking();
}
