namespace PriceFeed.Server.Ring;

/// <summary>Processes the events of a ring, on the thread of a <see cref="BatchEventProcessor{T}"/>.</summary>
/// <typeparam name="T">The slot type.</typeparam>
/// <remarks>All methods are called on the processor's thread, one at a time.</remarks>
internal interface IEventHandler<T>
    where T : struct
{
    /// <summary>Processes one event, in place in its slot.</summary>
    /// <param name="data">The slot; valid until this call returns. Copy what you keep.</param>
    /// <param name="sequence">The event's sequence.</param>
    /// <param name="endOfBatch"><see langword="true"/> for the last event available now: the
    /// place to flush work batched over the preceding events.</param>
    void OnEvent(ref T data, long sequence, bool endOfBatch);

    /// <summary>Called on the processor's thread before the first event of each run.</summary>
    void OnStart()
    {
    }

    /// <summary>Called on the processor's thread after the last event of each run.</summary>
    void OnShutdown()
    {
    }

    /// <summary>Called on the processor's thread, between batches, after someone asked the processor to tick (its
    /// <c>Tick</c>): time-driven work of the one thread that owns the handler's state, also while no event comes.</summary>
    void OnTick()
    {
    }
}
