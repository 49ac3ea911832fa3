namespace PriceFeed.Server.Fanout;

/// <summary>Symbol id -> its subscriptions, read by the fan-out thread without a lock, changed copy-on-write.</summary>
/// <remarks>
/// <para>The fan-out thread reads a symbol's array with one volatile load per quote; a change
/// (subscribe, unsubscribe, disconnect, a new symbol for <c>*</c> subscribers) builds a new
/// array under <see cref="_lock"/> and swaps it in. Changes are rare next to quotes, so copying
/// is the cheap side of the trade.</para>
/// <para>It also counts the JSON clients with at least one subscription (<see cref="JsonSessions"/>):
/// the fan-out encodes JSON only while there is one. A session is counted before its first
/// subscription goes into an array, so a fan-out that sees the subscription sees the count too
/// (it reads the array first, then the count).</para>
/// <para>Lock order: the registry's lock, then a session's <see cref="ClientSession.SubscriptionLock"/>.</para>
/// </remarks>
internal sealed class SubscriptionRegistry
{
    private readonly SymbolSubscription[][] _bySymbol;
    private readonly List<ClientSession> _wildcardSessions = [];
    private readonly Lock _lock = new();
    private int _count;
    private int _jsonSessions;

    public SubscriptionRegistry(int symbolCapacity)
    {
        _bySymbol = new SymbolSubscription[symbolCapacity][];
        _bySymbol.AsSpan().Fill([]);
    }

    /// <summary>Subscriptions in the registry, all symbols together.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Clients subscribed to <c>*</c>.</summary>
    public int WildcardCount
    {
        get
        {
            lock (_lock)
            {
                return _wildcardSessions.Count;
            }
        }
    }

    /// <summary>JSON clients subscribed to something now: while 0, the fan-out encodes no JSON.</summary>
    public int JsonSessions => Volatile.Read(ref _jsonSessions);

    /// <summary>The symbol's subscriptions now. Fan-out thread; never null.</summary>
    public SymbolSubscription[] Get(int symbolId) => Volatile.Read(ref _bySymbol[symbolId]);

    /// <summary>Runs <paramref name="change"/> under the registry's lock: subscription changes are serialized.</summary>
    /// <remarks>
    /// Ends with a full fence, so what the caller reads next (a subscribe's snapshot, from the cache) is read
    /// after the change is visible to the fan-out thread; the fan-out fences between its cache write and its
    /// read of the subscribers (QuoteFanoutHandler), so no quote in flight misses a new subscription.
    /// </remarks>
    public void Change(Action<Mutator> change)
    {
        lock (_lock)
        {
            change(new Mutator(this));
        }

        Interlocked.MemoryBarrier();
    }

    /// <summary>Changes allowed while the registry's lock is held.</summary>
    public readonly struct Mutator
    {
        private readonly SubscriptionRegistry _registry;

        internal Mutator(SubscriptionRegistry registry) => _registry = registry;

        public IReadOnlyList<ClientSession> WildcardSessions => _registry._wildcardSessions;

        public void Add(SymbolSubscription subscription)
        {
            CopyOnWriteArrays.Add(ref _registry._bySymbol[subscription.SymbolId], subscription);
            _registry._count++;
        }

        public void Remove(SymbolSubscription subscription)
        {
            subscription.Active = false;
            if (CopyOnWriteArrays.Remove(ref _registry._bySymbol[subscription.SymbolId], subscription))
            {
                _registry._count--;
            }
        }

        /// <summary>Counts a JSON session in (+1) or out (-1) of <see cref="JsonSessions"/>; call before its first subscription is added.</summary>
        public void CountJsonSession(int delta) =>
            Volatile.Write(ref _registry._jsonSessions, _registry._jsonSessions + delta);

        public void AddWildcard(ClientSession session) => _registry._wildcardSessions.Add(session);

        public void RemoveWildcard(ClientSession session) => _registry._wildcardSessions.Remove(session);
    }
}
