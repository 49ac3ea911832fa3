using System.Collections.Concurrent;
using System.Diagnostics;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Quotes;

namespace PriceFeed.Server.Fanout;

/// <summary>Subscribe, unsubscribe and disconnect: keeps the registry and each session's subscriptions in step.</summary>
/// <remarks>
/// <para>Called on the sessions' event loops, and on the source's thread when a symbol appears
/// (for <c>*</c> subscribers, before the symbol's first quote enters the ring). All changes go
/// through the registry's lock; the fan-out thread never takes it.</para>
/// <para>Rules (docs/protocol.md, "Subscriptions"): exact symbols or <c>*</c>; a symbol outside the session's
/// <see cref="ClientSession.Entitlements"/> is rejected <c>not_entitled</c> (checked first, so a
/// client learns nothing of symbols it is not licensed for); an unknown symbol is rejected
/// <c>unknown_symbol</c>; past <c>max-symbols-per-client</c> named symbols, <c>limit</c>;
/// <c>*</c> counts as one subscription and follows new symbols, only those the session is entitled
/// to. Subscribing again to a symbol updates its throttle and is accepted again.</para>
/// </remarks>
internal sealed partial class SubscriptionService
{
    public const string UnknownSymbol = "unknown_symbol";
    public const string Limit = "limit";
    public const string NotEntitled = "not_entitled";
    public const string Wildcard = "*";

    private readonly SubscriptionRegistry _registry;
    private readonly SymbolTable _symbols;
    private readonly int _maxSymbolsPerClient;
    private readonly SourceEpoch _epoch;
    private readonly ConcurrentDictionary<ClientSession, byte> _sessions = new();
    private long _closedDelivered;
    private long _closedConflated;
    private long _closedDropped;

    /// <param name="epoch">The source's epoch: whether a session's <c>hello</c> already says the current one.</param>
    public SubscriptionService(SubscriptionRegistry registry, SymbolTable symbols, int maxSymbolsPerClient, SourceEpoch? epoch = null)
    {
        _epoch = epoch ?? new SourceEpoch();
        _registry = registry;
        _symbols = symbols;
        _maxSymbolsPerClient = maxSymbolsPerClient;
        symbols.SymbolAdded += OnSymbolAdded;
    }

    /// <summary>Sessions open now.</summary>
    public ICollection<ClientSession> Sessions => _sessions.Keys;

    /// <summary>Subscriptions in the registry, all symbols together.</summary>
    public int SubscriptionCount => _registry.Count;

    public void Opened(ClientSession session) => _sessions[session] = 0;

    /// <summary>Applies <paramref name="request"/>; returns the answer and the subscriptions a snapshot is owed for.</summary>
    public SubscribeResult Subscribe(ClientSession session, Subscribe request, List<SymbolSubscription> snapshot)
    {
        var result = new SubscribeResult { RequestId = request.RequestId };
        var throttleTicks = request.ThrottleMs * Stopwatch.Frequency / 1000;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        _registry.Change(registry =>
        {
            lock (session.SubscriptionLock)
            {
                if (session.IsJson && !session.CountedAsJson && request.Symbols.Count > 0)
                {
                    session.CountedAsJson = true;
                    registry.CountJsonSession(+1);
                }

                foreach (var symbol in request.Symbols)
                {
                    if (!seen.Add(symbol))
                    {
                        continue;
                    }

                    if (symbol == Wildcard)
                    {
                        SubscribeAll(registry, session, throttleTicks, snapshot);
                        result.Accepted.Add(symbol);
                    }
                    else if (Refusal(session, symbol, out var id) is { } refusal)
                    {
                        result.Rejected.Add(new Rejection { Symbol = symbol, Reason = refusal });
                    }
                    else if (session.Subscriptions.TryGetValue(id, out var existing) && !existing.ViaWildcard)
                    {
                        // Named already: a new throttle, accepted again.
                        existing.ThrottleTicks = throttleTicks;
                        snapshot.Add(existing);
                        result.Accepted.Add(symbol);
                    }
                    else if (session.NamedSubscriptions >= _maxSymbolsPerClient)
                    {
                        // Naming a symbol takes a place the limit bounds, also when * holds it already: it stays
                        // after an unsubscribe of *, so * followed by names must not get around the limit.
                        result.Rejected.Add(new Rejection { Symbol = symbol, Reason = Limit });
                    }
                    else if (existing is not null)
                    {
                        existing.ViaWildcard = false;
                        session.NamedSubscriptions++;
                        existing.ThrottleTicks = throttleTicks;
                        snapshot.Add(existing);
                        result.Accepted.Add(symbol);
                    }
                    else
                    {
                        snapshot.Add(Add(registry, session, id, throttleTicks, viaWildcard: false));
                        result.Accepted.Add(symbol);
                    }
                }

                UncountIfIdle(registry, session);
            }
        });
        return result;
    }

    /// <summary>Removes the named symbols (or <c>*</c> and what it brought) at once; unknown ones are ignored.</summary>
    public void Unsubscribe(ClientSession session, Unsubscribe request) =>
        _registry.Change(registry =>
        {
            lock (session.SubscriptionLock)
            {
                foreach (var symbol in request.Symbols)
                {
                    if (symbol == Wildcard)
                    {
                        if (session.Wildcard)
                        {
                            session.Wildcard = false;
                            registry.RemoveWildcard(session);
                            foreach (var subscription in session.Subscriptions.Values.Where(s => s.ViaWildcard).ToArray())
                            {
                                Remove(registry, session, subscription);
                            }
                        }
                    }
                    else if (_symbols.TryGetId(symbol, out var id) && session.Subscriptions.TryGetValue(id, out var subscription))
                    {
                        Remove(registry, session, subscription);
                    }
                }

                UncountIfIdle(registry, session);
            }
        });

    /// <summary>The client is gone: removes every trace of it.</summary>
    public void Closed(ClientSession session)
    {
        session.Close();
        RemoveBars(session, keep: null);
        _registry.Change(registry =>
        {
            lock (session.SubscriptionLock)
            {
                if (session.Wildcard)
                {
                    session.Wildcard = false;
                    registry.RemoveWildcard(session);
                }

                foreach (var subscription in session.Subscriptions.Values.ToArray())
                {
                    Remove(registry, session, subscription);
                }

                UncountIfIdle(registry, session);
            }
        });

        if (_sessions.TryRemove(session, out _))
        {
            Interlocked.Add(ref _closedDelivered, session.Delivered);
            Interlocked.Add(ref _closedConflated, session.Conflated);
            Interlocked.Add(ref _closedDropped, session.Dropped);
        }
    }

    /// <summary>Totals over every session that ever was: delivered, conflated, dropped updates.</summary>
    public (long Delivered, long Conflated, long Dropped) Totals()
    {
        long delivered = Volatile.Read(ref _closedDelivered), conflated = Volatile.Read(ref _closedConflated), dropped = Volatile.Read(ref _closedDropped);
        foreach (var session in _sessions.Keys)
        {
            delivered += session.Delivered;
            conflated += session.Conflated;
            dropped += session.Dropped;
        }

        return (delivered, conflated, dropped);
    }

    /// <summary>
    /// Why <paramref name="session"/> may not subscribe to <paramref name="symbol"/>, checked in the contract's order:
    /// entitlement first (a client learns nothing of symbols it is not licensed for), then existence; null when it may,
    /// with the symbol's id. The per-client limit is the caller's, as quotes and bars count it apart.
    /// </summary>
    private string? Refusal(ClientSession session, string symbol, out int id)
    {
        id = -1;
        return !session.Entitlements.Allows(symbol) ? NotEntitled
            : !_symbols.TryGetId(symbol, out id) ? UnknownSymbol
            : null;
    }

    /// <summary>A JSON session left with no subscription (and no <c>*</c>) stops counting towards JSON encoding.</summary>
    private static void UncountIfIdle(SubscriptionRegistry.Mutator registry, ClientSession session)
    {
        if (session.CountedAsJson && session.Subscriptions.Count == 0 && !session.Wildcard)
        {
            session.CountedAsJson = false;
            registry.CountJsonSession(-1);
        }
    }

    private void SubscribeAll(SubscriptionRegistry.Mutator registry, ClientSession session, long throttleTicks, List<SymbolSubscription> snapshot)
    {
        session.WildcardThrottleTicks = throttleTicks;
        if (!session.Wildcard)
        {
            session.Wildcard = true;
            registry.AddWildcard(session);
        }

        var entitlements = session.Entitlements;
        var count = _symbols.Count;
        for (var id = 0; id < count; id++)
        {
            if (!entitlements.AllowsAll && !entitlements.Allows(_symbols.GetName(id)))
            {
                continue;
            }

            if (session.Subscriptions.TryGetValue(id, out var existing))
            {
                if (existing.ViaWildcard)
                {
                    existing.ThrottleTicks = throttleTicks;
                }

                snapshot.Add(existing);
            }
            else
            {
                snapshot.Add(Add(registry, session, id, throttleTicks, viaWildcard: true));
            }
        }
    }

    private void OnSymbolAdded(int id) =>
        _registry.Change(registry =>
        {
            foreach (var session in registry.WildcardSessions)
            {
                lock (session.SubscriptionLock)
                {
                    if (session.Wildcard && !session.Subscriptions.ContainsKey(id) && session.Entitlements.Allows(_symbols.GetName(id)))
                    {
                        Add(registry, session, id, session.WildcardThrottleTicks, viaWildcard: true);
                    }
                }
            }
        });

    private static SymbolSubscription Add(SubscriptionRegistry.Mutator registry, ClientSession session, int id, long throttleTicks, bool viaWildcard)
    {
        var subscription = new SymbolSubscription(session, id, throttleTicks, viaWildcard);
        session.Subscriptions.Add(id, subscription);
        session.NamedSubscriptions += viaWildcard ? 0 : 1;
        registry.Add(subscription);
        return subscription;
    }

    private static void Remove(SubscriptionRegistry.Mutator registry, ClientSession session, SymbolSubscription subscription)
    {
        session.Subscriptions.Remove(subscription.SymbolId);
        session.NamedSubscriptions -= subscription.ViaWildcard ? 0 : 1;
        registry.Remove(subscription);
    }
}
