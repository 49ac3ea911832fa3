namespace PriceFeed.Server.Ring;

/// <summary>Decides what a <see cref="BatchEventProcessor{T}"/> does when its handler throws.</summary>
/// <typeparam name="T">The slot type.</typeparam>
/// <remarks>Called on the processor's thread. Returning goes on with the next event; throwing
/// ends the processor's run (and, on a thread of its own, the process).</remarks>
internal interface IExceptionHandler<T>
    where T : struct
{
    /// <summary>The handler threw while processing the event at <paramref name="sequence"/>.</summary>
    void HandleEventException(Exception exception, long sequence, ref T data);

    /// <summary>The handler threw from <see cref="IEventHandler{T}.OnStart"/>.</summary>
    void HandleOnStartException(Exception exception);

    /// <summary>The handler threw from <see cref="IEventHandler{T}.OnShutdown"/>.</summary>
    void HandleOnShutdownException(Exception exception);

    /// <summary>The handler threw from <see cref="IEventHandler{T}.OnTick"/>.</summary>
    void HandleOnTickException(Exception exception);
}
