namespace PriceFeed.Server.Ring;

/// <summary>
/// Thrown by <see cref="ISequenceBarrier.WaitFor"/> when the barrier is alerted: the way a
/// <see cref="BatchEventProcessor{T}"/> is told to stop while it waits for the producer.
/// </summary>
/// <remarks>
/// An exception rather than a return code because it leaves the wait loop from any depth of
/// any wait strategy, and the fast path pays nothing for it: it is thrown once per halt, never
/// per event. One instance is thrown every time (<see cref="Instance"/>), so a halt builds no
/// new exception; the runtime still records where it was thrown (a few microseconds, once per
/// halt), and that trace, shared by every thread that throws the instance, is never shown.
/// </remarks>
internal sealed class AlertException : Exception
{
    /// <summary>The only instance.</summary>
    public static readonly AlertException Instance = new();

    private AlertException()
        : base("The sequence barrier was alerted: the event processor is halting.")
    {
    }

    /// <summary>No stack trace: the instance is shared by every thread that throws it, so the
    /// trace the runtime records is whichever thread threw last, and meaningless.</summary>
    public override string? StackTrace => null;
}
