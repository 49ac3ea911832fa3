using PriceFeed.Protocol.V1;
using PriceFeed.Server.Security;

namespace PriceFeed.Server.Fanout;

// A refreshed token (docs/protocol.md, "Token refresh"): the session's entitlements change, and what they no longer
// cover leaves the session as an unsubscribe would take it away.
internal sealed partial class SubscriptionService
{
    /// <summary>
    /// Gives <paramref name="session"/> the entitlements of its new token and drops every subscription they no
    /// longer cover, named or brought by <c>*</c>; returns the dropped symbols as <c>not_entitled</c> rejections.
    /// </summary>
    /// <remarks>On the session's event loop, under the registry's lock and the session's
    /// <see cref="ClientSession.SubscriptionLock"/>, like every other change of a subscription; never on the hot path.
    /// A <c>*</c> subscription stays and follows the new entitlements for symbols that appear later; symbols that
    /// exist already and are newly covered come with the next <c>subscribe</c> to <c>*</c>.</remarks>
    public List<Rejection> ChangeEntitlements(ClientSession session, Entitlements entitlements)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(entitlements);
        var dropped = new List<Rejection>();
        _registry.Change(registry =>
        {
            lock (session.SubscriptionLock)
            {
                session.Entitlements = entitlements;
                if (entitlements.AllowsAll)
                {
                    return;
                }

                foreach (var subscription in session.Subscriptions.Values.ToArray())
                {
                    var symbol = _symbols.GetName(subscription.SymbolId);
                    if (!entitlements.Allows(symbol))
                    {
                        Remove(registry, session, subscription);
                        dropped.Add(new Rejection { Symbol = symbol, Reason = NotEntitled });
                    }
                }

                UncountIfIdle(registry, session);
            }
        });
        if (!entitlements.AllowsAll)
        {
            // Bars of a symbol no longer covered stop too; a symbol reported once, whether quotes, bars or both went.
            foreach (var symbol in RemoveBars(session, entitlements.Allows))
            {
                if (!dropped.Exists(r => r.Symbol == symbol))
                {
                    dropped.Add(new Rejection { Symbol = symbol, Reason = NotEntitled });
                }
            }
        }

        dropped.Sort((a, b) => string.CompareOrdinal(a.Symbol, b.Symbol));
        return dropped;
    }
}
