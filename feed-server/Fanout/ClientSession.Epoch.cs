using DotNetty.Common.Concurrency;

namespace PriceFeed.Server.Fanout;

// A change of the source's epoch (SubscriptionService.EpochChanged): from the moment the fan-out announces it until
// the event loop has applied it, the drains send nothing they read, since it may belong to the new epoch and the
// client has not had the new hello yet. What they hold back is in the snapshot that follows the hello.
internal sealed partial class ClientSession
{
    private long _epochChanges;         // fan-out thread writes, both read: changes announced to this session
    private long _epochChangesApplied;  // event loop

    /// <summary>The epoch this client's last <c>hello</c> said; set by whoever sends it. Event loop.</summary>
    public string? HelloEpoch { get; set; }

    /// <summary>Sends the client a <c>hello</c> with the current epoch (and sets <see cref="HelloEpoch"/>); set by the
    /// session's handler. Event loop.</summary>
    public Action? EpochChangedHello { get; set; }

    /// <summary>True from the fan-out's announcement of a change of epoch until the event loop applied it.</summary>
    private bool EpochChangePending => Volatile.Read(ref _epochChanges) != _epochChangesApplied;

    /// <summary>
    /// Fan-out thread: holds back the drains from now on, then asks the event loop to apply the change. Called before
    /// any quote of the new epoch is offered, so a drain that reads one finds the change pending.
    /// </summary>
    public void BeginEpochChange(SubscriptionService service)
    {
        Interlocked.Increment(ref _epochChanges);
        if (_closed)
        {
            return;
        }

        try
        {
            _context.Executor.Execute(static (s, c) => ((SubscriptionService)s).ApplyEpochChange((ClientSession)c), service, this);
        }
        catch (RejectedExecutionException)
        {
            // The event loop is shutting down with the server: nothing left to send to.
        }
    }

    /// <summary>Event loop: true once per batch of announced changes, when the caller is to apply them.</summary>
    public bool TakeEpochChange()
    {
        var changes = Volatile.Read(ref _epochChanges);
        if (changes == _epochChangesApplied)
        {
            return false;
        }

        _epochChangesApplied = changes;
        return true;
    }
}
