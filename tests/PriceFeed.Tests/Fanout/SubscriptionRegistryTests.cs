using PriceFeed.Server.Fanout;

namespace PriceFeed.Tests.Fanout;

public sealed class SubscriptionRegistryTests : IDisposable
{
    private readonly FanoutHarness _harness = new();
    private readonly SubscriptionRegistry _registry = new(symbolCapacity: 4);
    private readonly ClientSession _alice;
    private readonly ClientSession _bob;

    public SubscriptionRegistryTests()
    {
        _alice = _harness.Connect().Session;
        _bob = _harness.Connect().Session;
    }

    public void Dispose() => _harness.Dispose();

    [Fact]
    public void GetsAnEmptyArrayForASymbolNobodySubscribesTo()
    {
        Assert.Empty(_registry.Get(3));
        Assert.Equal(0, _registry.Count);
    }

    [Fact]
    public void GetReturnsWhatAddPutInTheOrderAdded()
    {
        var alice = Added(_alice, 1);
        var bob = Added(_bob, 1);
        var other = Added(_bob, 2);

        Assert.Equal([alice, bob], _registry.Get(1));
        Assert.Equal([other], _registry.Get(2));
        Assert.Empty(_registry.Get(0));
        Assert.Equal(3, _registry.Count);
    }

    [Fact]
    public void RemoveMarksTheSubscriptionInactiveAndTakesItOut()
    {
        var alice = Added(_alice, 1);
        var bob = Added(_bob, 1);

        _registry.Change(m => m.Remove(alice));

        Assert.False(alice.Active);
        Assert.True(bob.Active);
        Assert.Equal([bob], _registry.Get(1));
        Assert.Equal(1, _registry.Count);
    }

    [Fact]
    public void RemovingASubscriptionNotInTheRegistryOnlyMarksItInactive()
    {
        var held = Added(_alice, 1);
        var stranger = new SymbolSubscription(_bob, 1, 0, viaWildcard: false);

        _registry.Change(m => m.Remove(stranger));

        Assert.False(stranger.Active);
        Assert.Equal([held], _registry.Get(1));
        Assert.Equal(1, _registry.Count);
    }

    [Fact]
    public void AnArrayReadBeforeAChangeIsNotChangedByIt()
    {
        // The fan-out thread iterates the array it read without a lock: changes must build new arrays.
        var empty = _registry.Get(0);
        var alice = Added(_alice, 0);
        var withAlice = _registry.Get(0);

        var bob = Added(_bob, 0);
        var withBoth = _registry.Get(0);
        _registry.Change(m => m.Remove(alice));

        Assert.Empty(empty);
        Assert.Equal([alice], withAlice);
        Assert.Equal([alice, bob], withBoth);
        Assert.Equal([bob], _registry.Get(0));
    }

    [Fact]
    public void CountsJsonSessionsInAndOut()
    {
        _registry.Change(m => m.CountJsonSession(+1));
        _registry.Change(m => m.CountJsonSession(+1));
        Assert.Equal(2, _registry.JsonSessions);

        _registry.Change(m => m.CountJsonSession(-1));
        Assert.Equal(1, _registry.JsonSessions);
    }

    [Fact]
    public void KeepsTheWildcardSessions()
    {
        _registry.Change(m =>
        {
            m.AddWildcard(_alice);
            m.AddWildcard(_bob);
        });
        Assert.Equal(2, _registry.WildcardCount);

        _registry.Change(m => m.RemoveWildcard(_alice));

        Assert.Equal(1, _registry.WildcardCount);
        _registry.Change(m => Assert.Equal([_bob], m.WildcardSessions));
    }

    /// <summary>A new subscription of <paramref name="session"/> to <paramref name="symbolId"/>, added to the registry.</summary>
    private SymbolSubscription Added(ClientSession session, int symbolId)
    {
        var subscription = new SymbolSubscription(session, symbolId, throttleTicks: 0, viaWildcard: false);
        _registry.Change(m => m.Add(subscription));
        return subscription;
    }
}
