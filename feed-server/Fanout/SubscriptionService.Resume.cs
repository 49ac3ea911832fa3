using PriceFeed.Protocol.V1;

namespace PriceFeed.Server.Fanout;

// Resume (docs/protocol.md, "Resume"): which of a subscribe's symbols continue from the history instead of a snapshot.
internal sealed partial class SubscriptionService
{
    /// <summary>
    /// The resume part of <paramref name="request"/> (docs/protocol.md, "Resume"): takes out of <paramref name="snapshot"/>
    /// each subscription whose symbol the client resumes and whose missed updates the history still holds, lists it
    /// in <paramref name="result"/>'s <c>recovered</c>, and returns those updates to replay. Call after
    /// <see cref="Subscribe"/>, on the session's event loop.
    /// </summary>
    /// <remarks>
    /// Nothing is recovered when resume is off, when <paramref name="epoch"/> (the source's) is empty (no seq space to
    /// resume in) or differs from the request's, for a symbol the request did not subscribe (named or by <c>*</c>), for
    /// a resume seq newer than the server's latest or older than its history, or once the replays together would pass
    /// the client's queue bound (<see cref="ClientSession.ReplayBudget"/>): those symbols keep their snapshot. Never an error.
    /// </remarks>
    public List<Replay> Resume(ClientSession session, Subscribe request, string epoch, List<SymbolSubscription> snapshot, SubscribeResult result)
    {
        var replays = new List<Replay>();
        var history = session.History;
        if (history is null || request.Resume.Count == 0 || epoch.Length == 0 || request.Epoch != epoch)
        {
            return replays;
        }

        var budget = session.ReplayBudget;
        var resumed = new HashSet<int>();
        foreach (var subscription in snapshot)
        {
            var symbol = _symbols.GetName(subscription.SymbolId);
            if (resumed.Contains(subscription.SymbolId) || !request.Resume.TryGetValue(symbol, out var afterSeq))
            {
                continue;
            }

            var updates = new List<HistoryEntry>();
            if (history.TryCollect(subscription.SymbolId, afterSeq, budget, updates))
            {
                budget -= updates.Count;
                resumed.Add(subscription.SymbolId);
                replays.Add(new Replay(subscription, afterSeq, updates));
                result.Recovered.Add(symbol);
            }
        }

        if (resumed.Count > 0)
        {
            snapshot.RemoveAll(subscription => resumed.Contains(subscription.SymbolId));
        }

        return replays;
    }
}
