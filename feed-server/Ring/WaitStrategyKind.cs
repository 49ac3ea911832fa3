namespace PriceFeed.Server.Ring;

/// <summary>The wait strategies a consumer of the ring can use; a server setting.</summary>
/// <remarks>Names in settings are <c>busy-spin</c>, <c>yielding</c>, <c>blocking</c>,
/// <c>spin-then-block</c> and <c>event-loop</c> (<see cref="WaitStrategies.Parse"/>).</remarks>
internal enum WaitStrategyKind
{
    /// <summary><see cref="SpinThenBlockWaitStrategy"/>.</summary>
    SpinThenBlock = 0,

    /// <summary><see cref="BusySpinWaitStrategy"/>.</summary>
    BusySpin,

    /// <summary><see cref="YieldingWaitStrategy"/>.</summary>
    Yielding,

    /// <summary><see cref="BlockingWaitStrategy"/>.</summary>
    Blocking,

    /// <summary>
    /// <see cref="SignallingWaitStrategy"/>, the default: the consumer owns no thread and runs as a task on an event
    /// loop (<see cref="ScheduledEventProcessor{T}"/>), so nothing waits at all.
    /// </summary>
    EventLoop,
}
