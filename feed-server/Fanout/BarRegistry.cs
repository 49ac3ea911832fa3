using PriceFeed.Server.Bars;

namespace PriceFeed.Server.Fanout;

/// <summary>(Symbol, interval) -> its bar subscriptions, read by the fan-out thread without a lock, changed copy-on-write.</summary>
/// <remarks>As <see cref="SubscriptionRegistry"/>: changes are serialized under one lock and end with a full fence, so a
/// subscribe reads the bars after the fan-out can see its subscription; the fan-out fences between writing a bar and
/// reading the subscribers. Each session's set of bar subscriptions (<see cref="ClientSession.BarSubscriptions"/>) is
/// changed only under this lock.</remarks>
internal sealed class BarRegistry
{
    private readonly BarSubscription[][] _bySlot;
    private readonly List<(ClientSession Session, int Interval)> _wildcards = [];
    private readonly Lock _lock = new();
    private int _count;

    public BarRegistry(int symbolCapacity)
    {
        _bySlot = new BarSubscription[symbolCapacity * BarIntervals.Count][];
        _bySlot.AsSpan().Fill([]);
    }

    /// <summary>Bar subscriptions in the registry.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The subscriptions to the bars of <paramref name="symbolId"/> in <paramref name="interval"/>. Fan-out thread; never null.</summary>
    public BarSubscription[] Get(int symbolId, int interval) => Volatile.Read(ref _bySlot[(symbolId * BarIntervals.Count) + interval]);

    private ref BarSubscription[] SlotOf(BarSubscription subscription) =>
        ref _bySlot[(subscription.SymbolId * BarIntervals.Count) + subscription.Interval];

    /// <summary>Runs <paramref name="change"/> under the registry's lock, then a full fence.</summary>
    public void Change<TState>(TState state, Action<Mutator, TState> change)
    {
        lock (_lock)
        {
            change(new Mutator(this), state);
        }

        Interlocked.MemoryBarrier();
    }

    /// <summary>Changes allowed while the registry's lock is held.</summary>
    public readonly struct Mutator
    {
        private readonly BarRegistry _registry;

        internal Mutator(BarRegistry registry) => _registry = registry;

        /// <summary>Sessions subscribed to the bars of <c>*</c>, with the interval.</summary>
        public List<(ClientSession Session, int Interval)> Wildcards => _registry._wildcards;

        public void Add(BarSubscription subscription)
        {
            subscription.Session.BarSubscriptions.Add((subscription.SymbolId, subscription.Interval), subscription);
            CopyOnWriteArrays.Add(ref _registry.SlotOf(subscription), subscription);
            _registry._count++;
        }

        public void Remove(BarSubscription subscription)
        {
            subscription.Active = false;
            subscription.Session.BarSubscriptions.Remove((subscription.SymbolId, subscription.Interval));
            if (CopyOnWriteArrays.Remove(ref _registry.SlotOf(subscription), subscription))
            {
                _registry._count--;
            }
        }
    }
}
