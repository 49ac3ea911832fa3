using PriceFeed.Server.Fanout;
using static PriceFeed.Tests.Fanout.FanoutModelCase;

namespace PriceFeed.Tests.Fanout;

/// <summary>Subscribes and unsubscribes: each answer checked against the service's rules, and the model's subscriptions kept in step.</summary>
internal sealed partial class FanoutModel
{
    private void Subscribe(ClientModel client, int[] symbolIds, uint throttleMs, bool skipSnapshot)
    {
        var names = symbolIds.Select(FanoutHarness.SymbolName).ToArray();
        var result = client.Client.Subscribe(throttleMs, skipSnapshot, names);
        var accepted = result.Accepted.ToHashSet(StringComparer.Ordinal);
        var rejected = result.Rejected.ToDictionary(r => r.Symbol, r => r.Reason, StringComparer.Ordinal);
        var distinct = names.Distinct(StringComparer.Ordinal).ToArray();
        if (accepted.Count + rejected.Count != distinct.Length)
        {
            throw new ViolationException("subscribe", $"c{client.Index} subscribe {string.Join(",", names)}: answered {result}");
        }

        var snapshot = new HashSet<int>();
        foreach (var name in distinct)
        {
            // The service's rules (SubscriptionService; docs/protocol.md, "Subscriptions"): unknown_symbol, then the limit on named symbols.
            var known = _harness.Symbols.TryGetId(name, out var symbolId);
            var held = known ? client.Held.GetValueOrDefault(symbolId) : null;
            var named = client.Held.Values.Count(h => h.Named);
            var expected = !known ? SubscriptionService.UnknownSymbol
                : held is { Named: true } || named < _config.MaxSymbolsPerClient ? null
                : SubscriptionService.Limit;
            var actual = accepted.Contains(name) ? null : rejected.GetValueOrDefault(name);
            if (actual != expected)
            {
                var how = held is null ? "not held" : "held through *";
                throw new ViolationException(
                    expected == SubscriptionService.Limit ? "symbol limit" : "subscribe",
                    $"c{client.Index} subscribe {name} ({how}, {named} named of max-symbols-per-client {_config.MaxSymbolsPerClient}): " +
                    $"expected {expected ?? "accepted"}, got {actual ?? "accepted"}");
            }

            if (expected is not null)
            {
                continue;
            }

            if (held is null)
            {
                client.Held[symbolId] = NewHeld(symbolId, named: true, throttleMs, skipSnapshot);
            }
            else
            {
                held.Named = true;
                Rethrottle(held, symbolId, throttleMs, skipSnapshot);
            }

            if (!skipSnapshot)
            {
                snapshot.Add(symbolId);
            }
        }

        ReadSubscribeAnswer(client, snapshot);
    }

    private void SubscribeAll(ClientModel client, uint throttleMs, bool skipSnapshot)
    {
        var result = client.Client.Subscribe(throttleMs, skipSnapshot, SubscriptionService.Wildcard);
        if (result.Accepted is not [SubscriptionService.Wildcard] || result.Rejected.Count != 0)
        {
            throw new ViolationException("subscribe", $"c{client.Index} subscribe *: answered {result}");
        }

        client.Wildcard = true;
        client.WildcardThrottleMs = throttleMs;
        var snapshot = new HashSet<int>();
        for (var symbolId = 0; symbolId < _harness.Symbols.Count; symbolId++)
        {
            if (!client.Held.TryGetValue(symbolId, out var held))
            {
                client.Held[symbolId] = NewHeld(symbolId, named: false, throttleMs, skipSnapshot);
            }
            else if (!held.Named)
            {
                // A named subscription keeps its own throttle.
                Rethrottle(held, symbolId, throttleMs, skipSnapshot);
            }
            else if (!skipSnapshot)
            {
                held.HasSnapshot = true;
            }

            if (!skipSnapshot)
            {
                snapshot.Add(symbolId);
            }
        }

        ReadSubscribeAnswer(client, snapshot);
    }

    private static void Unsubscribe(ClientModel client, int[] symbolIds)
    {
        client.Client.Unsubscribe([.. symbolIds.Select(FanoutHarness.SymbolName)]);
        foreach (var symbolId in symbolIds)
        {
            client.Held.Remove(symbolId);
        }
    }

    private static void UnsubscribeAll(ClientModel client)
    {
        client.Client.Unsubscribe(SubscriptionService.Wildcard);
        if (!client.Wildcard)
        {
            return;
        }

        client.Wildcard = false;
        foreach (var symbolId in client.Held.Where(h => !h.Value.Named).Select(h => h.Key).ToArray())
        {
            client.Held.Remove(symbolId);
        }
    }

    private void NewSymbol()
    {
        var symbolId = _harness.Symbols.Intern(FanoutHarness.SymbolName(_harness.Symbols.Count));
        foreach (var client in LiveClients().Where(c => c.Wildcard))
        {
            client.Held.TryAdd(symbolId, NewHeld(symbolId, named: false, client.WildcardThrottleMs, skipSnapshot: true));
        }
    }

    private Held NewHeld(int symbolId, bool named, uint throttleMs, bool skipSnapshot)
    {
        var start = _harness.SourceSeq(symbolId);
        return new Held
        {
            Named = named, ThrottleMs = throttleMs, Exact = throttleMs == 0, StartSeq = start, HasSnapshot = !skipSnapshot,
            SnapshotOwed = !skipSnapshot && start > 0, ThrottledSince = start, ExpectedNext = start + 1,
        };
    }

    /// <summary>Subscribing again to a held symbol: a new throttle, and a snapshot if asked (only if newer than what was sent).</summary>
    private void Rethrottle(Held held, int symbolId, uint throttleMs, bool skipSnapshot)
    {
        held.ThrottleMs = throttleMs;
        if (throttleMs > 0)
        {
            held.Exact = false;
            held.ThrottledSince = _harness.SourceSeq(symbolId);
        }

        held.HasSnapshot |= !skipSnapshot;
    }
}
