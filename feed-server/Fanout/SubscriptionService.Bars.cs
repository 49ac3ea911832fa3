using System.Diagnostics;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Bars;

namespace PriceFeed.Server.Fanout;

// Bar subscriptions (docs/protocol.md, "Bars"): the same rules as quote subscriptions (entitlement, existence, the
// per-client limit, "*" following new symbols), per interval, in the BarRegistry and under its lock.
internal sealed partial class SubscriptionService
{
    public const string IntervalNotOffered = "interval_not_offered";
    public const string HistoryOverLimit = "history_over_limit";

    private BarRegistry? _barRegistry;

    /// <summary>Who subscribes to which bars; set once at start, before any session opens (null: no bars).</summary>
    public BarRegistry? BarRegistry
    {
        get => _barRegistry;
        init
        {
            _barRegistry = value;
            if (value is not null)
            {
                // Bars off (null): no wildcard to follow new symbols, and nothing to call on.
                _symbols.SymbolAdded += OnSymbolAddedForBars;
            }
        }
    }

    /// <summary>Bar subscriptions in the registry.</summary>
    public int BarSubscriptionCount => _barRegistry?.Count ?? 0;

    /// <summary>
    /// Applies <paramref name="request"/>; returns the answer, and in <paramref name="started"/> the subscriptions whose
    /// history the session sends next (<see cref="ClientSession.StartBars"/>).
    /// </summary>
    public SubscribeResult SubscribeBars(ClientSession session, SubscribeBars request, List<BarSubscription> started)
    {
        var result = new SubscribeResult { RequestId = request.RequestId };
        var interval = BarIntervals.IndexOf(request.IntervalS);
        var refusal = _barRegistry is null || interval < 0 ? IntervalNotOffered
            : request.History > BarBook.MaxHistory ? HistoryOverLimit
            : null;
        if (refusal is not null)
        {
            foreach (var symbol in request.Symbols.Distinct(StringComparer.Ordinal))
            {
                result.Rejected.Add(new Rejection { Symbol = symbol, Reason = refusal });
            }

            return result;
        }

        var throttleTicks = request.ThrottleMs * Stopwatch.Frequency / 1000;
        _barRegistry!.Change((Service: this, Session: session, Request: request, Interval: interval, Throttle: throttleTicks, Started: started, Result: result), static (registry, s) =>
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var symbol in s.Request.Symbols)
            {
                if (seen.Add(symbol))
                {
                    s.Service.SubscribeBar(registry, s.Session, symbol, s.Interval, s.Throttle, s.Started, s.Result);
                }
            }
        });
        return result;
    }

    /// <summary>Stops the bars of the named symbols (or <c>*</c> and what it brought) in the interval, at once; unknown ones are ignored.</summary>
    public void UnsubscribeBars(ClientSession session, UnsubscribeBars request)
    {
        var interval = BarIntervals.IndexOf(request.IntervalS);
        if (_barRegistry is null || interval < 0)
        {
            return;
        }

        _barRegistry.Change((Service: this, Session: session, Request: request, Interval: interval), static (registry, s) =>
        {
            foreach (var symbol in s.Request.Symbols)
            {
                if (symbol == Wildcard)
                {
                    RemoveBarWildcard(registry, s.Session, s.Interval);
                }
                else if (s.Service._symbols.TryGetId(symbol, out var id) && s.Session.BarSubscriptions.TryGetValue((id, s.Interval), out var subscription))
                {
                    RemoveBar(registry, subscription);
                }
            }
        });
    }

    /// <summary>The client is gone, or its token no longer covers some symbols: removes its bar subscriptions that
    /// <paramref name="keep"/> refuses (all when null); returns the names of the symbols removed.</summary>
    private SortedSet<string> RemoveBars(ClientSession session, Func<string, bool>? keep)
    {
        var removed = new SortedSet<string>(StringComparer.Ordinal);
        _barRegistry?.Change((Service: this, Session: session, Keep: keep, Removed: removed), static (registry, s) =>
        {
            if (s.Keep is null)
            {
                for (var interval = 0; interval < BarIntervals.Count; interval++)
                {
                    RemoveBarWildcard(registry, s.Session, interval);
                }
            }

            foreach (var subscription in s.Session.BarSubscriptions.Values.ToArray())
            {
                var symbol = s.Service._symbols.GetName(subscription.SymbolId);
                if (s.Keep is null || !s.Keep(symbol))
                {
                    RemoveBar(registry, subscription);
                    s.Removed.Add(symbol);
                }
            }
        });
        return removed;
    }

    private void SubscribeBar(
        BarRegistry.Mutator registry, ClientSession session, string symbol, int interval, long throttleTicks,
        List<BarSubscription> started, SubscribeResult result)
    {
        if (symbol == Wildcard)
        {
            SubscribeBarWildcard(registry, session, interval, throttleTicks, started);
            result.Accepted.Add(symbol);
            return;
        }

        var reason = Refusal(session, symbol, out var id) ?? SubscribeNamedBar(registry, session, id, interval, throttleTicks, started);
        if (reason is null)
        {
            result.Accepted.Add(symbol);
        }
        else
        {
            result.Rejected.Add(new Rejection { Symbol = symbol, Reason = reason });
        }
    }

    /// <summary>Subscribes to the bars of every symbol the client is entitled to, and of those that appear later.</summary>
    private void SubscribeBarWildcard(BarRegistry.Mutator registry, ClientSession session, int interval, long throttleTicks, List<BarSubscription> started)
    {
        session.BarWildcardThrottleTicks[interval] = throttleTicks;
        if ((session.BarWildcards & (1 << interval)) == 0)
        {
            session.BarWildcards |= 1 << interval;
            registry.Wildcards.Add((session, interval));
        }

        for (var id = 0; id < _symbols.Count; id++)
        {
            if (!session.Entitlements.AllowsAll && !session.Entitlements.Allows(_symbols.GetName(id)))
            {
                continue;
            }

            if (session.BarSubscriptions.TryGetValue((id, interval), out var held))
            {
                if (held.ViaWildcard)
                {
                    held.ThrottleTicks = throttleTicks;
                }

                started.Add(held);
            }
            else
            {
                started.Add(AddBar(registry, session, id, interval, throttleTicks, viaWildcard: true));
            }
        }
    }

    /// <summary>Subscribes to the bars of a symbol named in the request (its id known, entitled); returns <c>limit</c> when
    /// the client holds as many named bar subscriptions of the interval as it may, null otherwise.</summary>
    private string? SubscribeNamedBar(
        BarRegistry.Mutator registry, ClientSession session, int id, int interval, long throttleTicks, List<BarSubscription> started)
    {
        if (session.BarSubscriptions.TryGetValue((id, interval), out var existing) && !existing.ViaWildcard)
        {
            // Named already: a new throttle, accepted again.
            existing.ThrottleTicks = throttleTicks;
            started.Add(existing);
            return null;
        }

        if (session.NamedBarSubscriptions[interval] >= _maxSymbolsPerClient)
        {
            return Limit;
        }

        if (existing is not null)
        {
            existing.ViaWildcard = false;
            existing.ThrottleTicks = throttleTicks;
            session.NamedBarSubscriptions[interval]++;
            started.Add(existing);
        }
        else
        {
            started.Add(AddBar(registry, session, id, interval, throttleTicks, viaWildcard: false));
        }

        return null;
    }

    private void OnSymbolAddedForBars(int id) =>
        _barRegistry!.Change((Service: this, Id: id), static (registry, s) =>
        {
            var name = s.Service._symbols.GetName(s.Id);
            foreach (var (session, interval) in registry.Wildcards)
            {
                if (!session.BarSubscriptions.ContainsKey((s.Id, interval)) && session.Entitlements.Allows(name))
                {
                    AddBar(registry, session, s.Id, interval, session.BarWildcardThrottleTicks[interval], viaWildcard: true);
                }
            }
        });

    private static BarSubscription AddBar(BarRegistry.Mutator registry, ClientSession session, int id, int interval, long throttleTicks, bool viaWildcard)
    {
        var subscription = new BarSubscription(session, id, interval, throttleTicks, viaWildcard);
        session.NamedBarSubscriptions[interval] += viaWildcard ? 0 : 1;
        registry.Add(subscription);
        return subscription;
    }

    private static void RemoveBar(BarRegistry.Mutator registry, BarSubscription subscription)
    {
        subscription.Session.NamedBarSubscriptions[subscription.Interval] -= subscription.ViaWildcard ? 0 : 1;
        registry.Remove(subscription);
    }

    private static void RemoveBarWildcard(BarRegistry.Mutator registry, ClientSession session, int interval)
    {
        if ((session.BarWildcards & (1 << interval)) == 0)
        {
            return;
        }

        session.BarWildcards &= ~(1 << interval);
        registry.Wildcards.Remove((session, interval));
        foreach (var subscription in session.BarSubscriptions.Values.Where(s => s.Interval == interval && s.ViaWildcard).ToArray())
        {
            RemoveBar(registry, subscription);
        }
    }
}
