namespace PriceFeed.Server.Ring;

/// <summary>Tells a handler that its processor starts or stops; a failure there goes to the exception handler, as for events.</summary>
/// <remarks>Shared by <see cref="BatchEventProcessor{T}"/> and <see cref="ScheduledEventProcessor{T}"/>.</remarks>
internal static class EventHandlerNotifications
{
    public static void NotifyStart<T>(IEventHandler<T> handler, IExceptionHandler<T> exceptionHandler)
        where T : struct
    {
        try
        {
            handler.OnStart();
        }
        catch (Exception ex)
        {
            exceptionHandler.HandleOnStartException(ex);
        }
    }

    public static void NotifyTick<T>(IEventHandler<T> handler, IExceptionHandler<T> exceptionHandler)
        where T : struct
    {
        try
        {
            handler.OnTick();
        }
        catch (Exception ex)
        {
            exceptionHandler.HandleOnTickException(ex);
        }
    }

    public static void NotifyShutdown<T>(IEventHandler<T> handler, IExceptionHandler<T> exceptionHandler)
        where T : struct
    {
        try
        {
            handler.OnShutdown();
        }
        catch (Exception ex)
        {
            exceptionHandler.HandleOnShutdownException(ex);
        }
    }
}
