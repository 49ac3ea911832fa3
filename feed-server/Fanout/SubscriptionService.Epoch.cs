using PriceFeed.Server.Quotes;

namespace PriceFeed.Server.Fanout;

// Changes the fan-out tells every session of: the source's status (docs/protocol.md, "Feed status") and its epoch
// (docs/protocol.md, "Epoch"): for the epoch every session gets the new hello and a snapshot of its
// symbols in the new epoch, and nothing of the old epoch after that hello.
internal sealed partial class SubscriptionService
{
    /// <summary>
    /// Tells every open session that the epoch changed. Fan-out thread, after the cache and the history forgot the old
    /// epoch and the new one became current, before any quote of the new epoch is offered.
    /// </summary>
    /// <remarks>Each session first holds back what its drains would send (<see cref="ClientSession.BeginEpochChange"/>),
    /// then its event loop runs <see cref="ApplyEpochChange"/>. Rare: the enumeration allocates, the hot path does not.</remarks>
    public void EpochChanged()
    {
        foreach (var session in _sessions.Keys)
        {
            session.BeginEpochChange(this);
        }
    }

    /// <summary>Tells every open session the source's new <paramref name="state"/> (docs/protocol.md, "Feed status"). Fan-out thread.</summary>
    public void StatusChanged(FeedState state)
    {
        foreach (var session in _sessions.Keys)
        {
            session.SendStatus(state);
        }
    }

    /// <summary>
    /// On the session's event loop: renews each of its subscriptions (a fresh one in the registry, the old one inactive,
    /// so whatever of the old epoch is still queued for it is never sent), sends the new <c>hello</c> through
    /// <see cref="ClientSession.EpochChangedHello"/>, then a snapshot of its symbols from the cache, which holds only
    /// quotes of the new epoch; then the drains go on with the new epoch's updates.
    /// </summary>
    /// <remarks>A session whose <c>hello</c> already said the current epoch (it opened during the change) keeps the last
    /// seq it sent per symbol and gets no second <c>hello</c>: its snapshot sends only what its drains held back.</remarks>
    public void ApplyEpochChange(ClientSession session)
    {
        if (!session.TakeEpochChange() || session.IsClosed)
        {
            return;
        }

        var told = session.HelloEpoch == _epoch.Current;
        var renewed = new List<SymbolSubscription>();
        _registry.Change(registry =>
        {
            lock (session.SubscriptionLock)
            {
                foreach (var old in session.Subscriptions.Values.ToArray())
                {
                    Remove(registry, session, old);
                    var fresh = Add(registry, session, old.SymbolId, old.ThrottleTicks, old.ViaWildcard);
                    fresh.LastSentSeq = told ? old.LastSentSeq : 0;
                    renewed.Add(fresh);
                }
            }
        });

        if (!told)
        {
            session.EpochChangedHello?.Invoke();
        }

        session.WriteSnapshot(renewed);
        session.Drain();
    }
}
