using System.Diagnostics;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Fanout;
using PriceFeed.Server.Security;

namespace PriceFeed.Tests.Fanout;

public sealed class SubscriptionServiceTests : IDisposable
{
    private readonly FanoutHarness _harness = new(symbols: 4, maxSymbolsPerClient: 3);

    public void Dispose() => _harness.Dispose();

    [Fact]
    public void AcceptsKnownSymbolsAndRejectsUnknownOnes()
    {
        var client = _harness.Connect();

        var result = client.Subscribe("S0", "NOPE", "S2");

        Assert.Equal(["S0", "S2"], result.Accepted);
        Assert.Equal([Rejected("NOPE", SubscriptionService.UnknownSymbol)], result.Rejected);
        Assert.Equal([0, 2], SymbolIds(client));
        Assert.Equal(2, _harness.Registry.Count);
    }

    [Fact]
    public void ChecksEntitlementBeforeExistenceSoUnlicensedSymbolsStayUnknowable()
    {
        var client = _harness.Connect(entitlements: Entitlements.Parse(["S1", "T*"]));

        var result = client.Subscribe("S0", "S1", "NOPE", "T9");

        Assert.Equal(["S1"], result.Accepted);
        Assert.Equal(
            [
                Rejected("S0", SubscriptionService.NotEntitled),
                Rejected("NOPE", SubscriptionService.NotEntitled),
                Rejected("T9", SubscriptionService.UnknownSymbol),
            ],
            result.Rejected);
    }

    [Fact]
    public void RejectsNamedSymbolsPastTheLimitUntilOneIsUnsubscribed()
    {
        var client = _harness.Connect();

        var result = client.Subscribe("S0", "S1", "S2", "S3");
        Assert.Equal(["S0", "S1", "S2"], result.Accepted);
        Assert.Equal([Rejected("S3", SubscriptionService.Limit)], result.Rejected);

        client.Unsubscribe("S0");
        result = client.Subscribe("S3");

        Assert.Equal(["S3"], result.Accepted);
        Assert.Empty(result.Rejected);
        Assert.Equal([1, 2, 3], SymbolIds(client));
    }

    /// <summary>
    /// Issue 12, defect 6: naming a symbol already held through <c>*</c> makes it a named subscription, which
    /// the limit bounds like any other; otherwise <c>*</c>, naming many, then unsubscribing <c>*</c> kept them all.
    /// </summary>
    [Fact]
    public void NamingSymbolsHeldThroughTheWildcardCountsAgainstTheLimit()
    {
        var client = _harness.Connect();
        client.Subscribe("*");

        var result = client.Subscribe("S0", "S1", "S2", "S3");
        client.Unsubscribe("*");

        Assert.Equal(["S0", "S1", "S2"], result.Accepted);
        Assert.Equal([Rejected("S3", SubscriptionService.Limit)], result.Rejected);
        Assert.Equal([0, 1, 2], SymbolIds(client));
        Assert.Equal(3, client.Session.NamedSubscriptions);
    }

    [Fact]
    public void CountsASymbolNamedTwiceInOneRequestOnce()
    {
        var client = _harness.Connect();

        var result = client.Subscribe("S0", "S0", "S1", "S0");

        Assert.Equal(["S0", "S1"], result.Accepted);
        Assert.Empty(result.Rejected);
        Assert.Equal(2, client.Session.NamedSubscriptions);
        Assert.Equal(2, _harness.Registry.Count);
    }

    [Fact]
    public void ResubscribingUpdatesTheThrottleAndIsAcceptedAgain()
    {
        var client = _harness.Connect();
        client.Subscribe(throttleMs: 0, skipSnapshot: false, "S0");
        var subscription = client.Session.Subscriptions[0];

        var result = client.Subscribe(throttleMs: 250, skipSnapshot: false, "S0");

        Assert.Equal(["S0"], result.Accepted);
        Assert.Same(subscription, client.Session.Subscriptions[0]);
        Assert.Equal(250 * Stopwatch.Frequency / 1000, subscription.ThrottleTicks);
        Assert.Equal(1, client.Session.NamedSubscriptions);
        Assert.Equal([subscription], _harness.Registry.Get(0));
    }

    [Fact]
    public void WildcardSubscribesEveryEntitledSymbolAndFollowsEntitledNewOnes()
    {
        var client = _harness.Connect(entitlements: Entitlements.Parse(["S1", "N*"]));
        var named = _harness.Connect();
        named.Subscribe("S0");

        var result = client.Subscribe(throttleMs: 100, skipSnapshot: false, "*");
        var newOne = _harness.Symbols.Intern("N1");
        var notEntitled = _harness.Symbols.Intern("X1");

        Assert.Equal(["*"], result.Accepted);
        Assert.Equal([1, newOne], SymbolIds(client));
        Assert.True(client.Session.Subscriptions[newOne].ViaWildcard);
        Assert.Equal(100 * Stopwatch.Frequency / 1000, client.Session.Subscriptions[newOne].ThrottleTicks);
        Assert.Equal([client.Session.Subscriptions[newOne]], _harness.Registry.Get(newOne));
        Assert.Empty(_harness.Registry.Get(notEntitled));
        Assert.Equal([0], SymbolIds(named));
        Assert.Equal(0, client.Session.NamedSubscriptions);
    }

    [Fact]
    public void UnsubscribingNamedSymbolsRemovesOnlyThoseAndIgnoresUnknownOnes()
    {
        var client = _harness.Connect();
        client.Subscribe("S0", "S1");
        var s0 = client.Session.Subscriptions[0];

        client.Unsubscribe("S0", "NOPE", "S3");

        Assert.False(s0.Active);
        Assert.Empty(_harness.Registry.Get(0));
        Assert.Equal([1], SymbolIds(client));
        Assert.Equal(1, client.Session.NamedSubscriptions);
        Assert.Equal(1, _harness.Registry.Count);
    }

    [Fact]
    public void UnsubscribingWildcardRemovesOnlyWhatItBrought()
    {
        var client = _harness.Connect();
        client.Subscribe("S0");
        client.Subscribe("*");
        var brought = client.Session.Subscriptions[2];

        client.Unsubscribe("*");
        var later = _harness.Symbols.Intern("N1");

        Assert.False(brought.Active);
        Assert.Equal([0], SymbolIds(client));
        Assert.False(client.Session.Subscriptions[0].ViaWildcard);
        Assert.False(client.Session.Wildcard);
        Assert.Equal(0, _harness.Registry.WildcardCount);
        Assert.Empty(_harness.Registry.Get(later));
        Assert.Equal(1, _harness.Registry.Count);
    }

    [Fact]
    public void NarrowerEntitlementsDropWhatTheyNoLongerCoverNamedOrThroughTheWildcard()
    {
        var client = _harness.Connect();
        client.Subscribe("S0", "S1");
        client.Subscribe("*");
        var s0 = client.Session.Subscriptions[0];
        var s2 = client.Session.Subscriptions[2];

        var dropped = _harness.Service.ChangeEntitlements(client.Session, Entitlements.Parse(["S1", "N*"]));
        var newOne = _harness.Symbols.Intern("N1");
        var notEntitled = _harness.Symbols.Intern("X1");

        Assert.Equal(
            [Rejected("S0", SubscriptionService.NotEntitled), Rejected("S2", SubscriptionService.NotEntitled), Rejected("S3", SubscriptionService.NotEntitled)],
            dropped);
        Assert.False(s0.Active);
        Assert.False(s2.Active);
        Assert.Empty(_harness.Registry.Get(0));
        Assert.Equal([1, newOne], SymbolIds(client));
        Assert.True(client.Session.Wildcard);
        Assert.Empty(_harness.Registry.Get(notEntitled));
        Assert.Equal(1, client.Session.NamedSubscriptions);
        Assert.Equal(SubscriptionService.NotEntitled, Assert.Single(client.Subscribe("S0").Rejected).Reason);
    }

    [Fact]
    public void EntitlementsThatCoverEverythingDropNothingAndAJsonSessionLeftWithNothingStopsCounting()
    {
        var client = _harness.Connect(json: true);
        client.Subscribe("S0", "S1");

        Assert.Empty(_harness.Service.ChangeEntitlements(client.Session, Entitlements.All));
        Assert.Equal([0, 1], SymbolIds(client));
        Assert.Equal(1, _harness.Registry.JsonSessions);

        Assert.Equal(2, _harness.Service.ChangeEntitlements(client.Session, Entitlements.Parse(["S3"])).Count);
        Assert.Empty(SymbolIds(client));
        Assert.Equal(0, client.Session.NamedSubscriptions);
        Assert.Equal(0, _harness.Registry.Count);
        Assert.Equal(0, _harness.Registry.JsonSessions);
    }

    [Fact]
    public void ClosedRemovesEveryTraceOfTheSession()
    {
        var client = _harness.Connect(json: true);
        client.Subscribe("S0");
        client.Subscribe("*");
        var subscriptions = client.Session.Subscriptions.Values.ToArray();
        Assert.Equal(1, _harness.Registry.JsonSessions);

        _harness.Service.Closed(client.Session);

        Assert.All(subscriptions, s => Assert.False(s.Active));
        Assert.Empty(client.Session.Subscriptions);
        Assert.Equal(0, _harness.Registry.Count);
        Assert.Equal(0, _harness.Registry.WildcardCount);
        Assert.Equal(0, _harness.Registry.JsonSessions);
        Assert.DoesNotContain(client.Session, _harness.Service.Sessions);
        Assert.True(client.Session.IsClosed);
    }

    [Fact]
    public void CountsAJsonSessionOnlyWhileItHoldsASubscription()
    {
        var json = _harness.Connect(json: true);
        _harness.Connect().Subscribe("S0");

        json.Subscribe("NOPE");
        Assert.Equal(0, _harness.Registry.JsonSessions);

        json.Subscribe("S0", "S1");
        Assert.Equal(1, _harness.Registry.JsonSessions);

        json.Unsubscribe("S0");
        Assert.Equal(1, _harness.Registry.JsonSessions);

        json.Unsubscribe("S1");
        Assert.Equal(0, _harness.Registry.JsonSessions);

        json.Subscribe("*");
        Assert.Equal(1, _harness.Registry.JsonSessions);
    }

    [Fact]
    public void TotalsAddOpenSessionsToTheOnesThatClosed()
    {
        var leaving = _harness.Connect();
        var staying = _harness.Connect();
        leaving.Subscribe("S0");
        staying.Subscribe("S0");
        // A throttled subscription conflates every update after the first one that waits.
        staying.Subscribe(throttleMs: 60_000, skipSnapshot: false, "S1");
        _harness.PublishBatch(0, 0, 1, 1, 1);
        _harness.DrainAll();

        _harness.Service.Closed(leaving.Session);
        _harness.PublishBatch(0);
        _harness.DrainAll();

        Assert.Equal((2, 0, 0), (leaving.Session.Delivered, leaving.Session.Conflated, leaving.Session.Dropped));
        Assert.Equal((4, 2, 0), (staying.Session.Delivered, staying.Session.Conflated, staying.Session.Dropped));
        Assert.Equal((6L, 2L, 0L), _harness.Service.Totals());
    }

    private static Rejection Rejected(string symbol, string reason) => new() { Symbol = symbol, Reason = reason };

    private static int[] SymbolIds(FanoutClient client) => [.. client.Session.Subscriptions.Keys.Order()];
}
