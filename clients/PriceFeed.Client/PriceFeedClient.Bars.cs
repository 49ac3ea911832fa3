using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using PriceFeed.Protocol.V1;

namespace PriceFeed.Client;

/// <summary>Bars: subscribe, read, and re-subscribe after a reconnect with no closed bar missed or repeated
/// (docs/clients.md, "Bars").</summary>
public sealed partial class PriceFeedClient
{
    /// <summary>The most closed bars the server sends as history per symbol (docs/protocol.md, "Bars").</summary>
    public const int MaxBarHistory = 1000;

    private readonly BarBuffer _bars = new();
    // subscribe_bars requests sent and not answered yet (callers' and re-subscribes'): what each asked for.
    private readonly ConcurrentDictionary<ulong, BarTerms> _barRequests = new();
    // Copy-on-write under _subscriptionsLock: every bar series subscribed to (the symbol may be "*"), with what
    // it was asked for with; sent again on every reconnect.
    private volatile Dictionary<BarKey, BarTerms> _barSubscriptions = [];
    private int _readingBars;

    /// <summary>A copy of the bar series subscribed to, symbol (or <c>*</c>) and interval in seconds (they are sent again on every reconnect).</summary>
    public IReadOnlyCollection<(string Symbol, int IntervalSeconds)> BarSubscriptions =>
        [.. _barSubscriptions.Keys.Select(key => (key.Symbol, key.IntervalSeconds))];

    /// <summary>Bars ignored because they did not start after the last closed bar delivered of their symbol and interval
    /// (mostly the overlap of the history asked for after a reconnect).</summary>
    public long BarsIgnoredAsStale => _bars.Stale;

    /// <summary>Versions of a bar in progress that a newer version replaced before the reader took them.</summary>
    public long BarsConflated => _bars.Conflated;

    /// <summary>Bars received and not yet read.</summary>
    public int BufferedBars => _bars.Count;

    /// <summary>Subscribes to the <paramref name="intervalSeconds"/> bars of <paramref name="symbols"/> (exact symbols, or
    /// <c>*</c> for all) and returns the server's answer.</summary>
    /// <param name="symbols">Exact symbols, or <c>*</c> for every symbol (also later ones).</param>
    /// <param name="intervalSeconds">The bar length: the server offers 1, 5, 60 and 300 (others are rejected with <c>interval_not_offered</c>).</param>
    /// <param name="history">Closed bars per symbol to send first, oldest first (at most <see cref="MaxBarHistory"/>; more is
    /// rejected with <c>history_over_limit</c>).</param>
    /// <param name="throttleMs">0: every change of the bar in progress the client keeps up with; N: at most one per symbol per N ms.</param>
    /// <param name="cancellationToken">Bounds the wait for a connection and the answer.</param>
    /// <remarks>Bars arrive through <see cref="ReadBarsAsync"/>. Accepted series are subscribed again on every
    /// reconnect, asking for the history since the last closed bar delivered, so that each closed bar is read once, in
    /// start order, with no gap (as far as the server's history reaches). Waits for a connection like <see cref="SubscribeAsync(IEnumerable{string}, CancellationToken)"/>.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The interval is not positive, or history or throttle is negative.</exception>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    /// <exception cref="PriceFeedException">The client closed because the server refused it (<see cref="PriceFeedException.IsTransient"/> false).</exception>
    public async Task<SubscribeResult> SubscribeBarsAsync(
        IEnumerable<string> symbols, int intervalSeconds, int history = 0, int throttleMs = 0, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(intervalSeconds);
        ArgumentOutOfRangeException.ThrowIfNegative(history);
        ArgumentOutOfRangeException.ThrowIfNegative(throttleMs);
        var terms = new BarTerms((uint)intervalSeconds, (uint)history, (uint)throttleMs);
        var request = terms.ToRequest(ValidSymbols(symbols));
        return await RequestAsync(
            requestId =>
            {
                request.RequestId = requestId;
                _barRequests[requestId] = terms;
                return new ClientMessage { SubscribeBars = request };
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the <paramref name="intervalSeconds"/> bars of <paramref name="symbols"/> (<c>*</c>: the wildcard
    /// subscription at that interval).</summary>
    /// <remarks>The server does not answer. The series are forgotten at once: bars of theirs still in flight are not
    /// yielded, the next reconnect does not subscribe them again, and a later subscription to them starts afresh.</remarks>
    public async Task UnsubscribeBarsAsync(IEnumerable<string> symbols, int intervalSeconds, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(intervalSeconds);
        var request = new UnsubscribeBars { IntervalS = (uint)intervalSeconds };
        request.Symbols.AddRange(ValidSymbols(symbols));
        Dictionary<BarKey, BarTerms> remaining;
        lock (_subscriptionsLock)
        {
            remaining = new Dictionary<BarKey, BarTerms>(_barSubscriptions);
            foreach (var symbol in request.Symbols)
            {
                remaining.Remove(new BarKey(symbol, intervalSeconds));
            }

            _barSubscriptions = remaining;
        }

        // What no remaining subscription covers starts afresh if subscribed again.
        _bars.Forget(key => key.IntervalSeconds == intervalSeconds && !Covers(remaining, key));
        if (_connected.Task is { IsCompletedSuccessfully: true } connected)
        {
            await TrySendAsync(connected.Result, new ClientMessage { UnsubscribeBars = request }, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The bars of every subscribed series, in arrival order: per symbol and interval, every closed bar exactly
    /// once and in start order, with the bar in progress between them (latest version wins when the reader falls behind).</summary>
    /// <remarks>Ends when the client is disposed, after the bars already received; throws the cause when the client
    /// closed because the server refused it. One enumeration at a time, independent of <see cref="ReadQuotesAsync"/>.</remarks>
    /// <exception cref="InvalidOperationException">Another enumeration is running.</exception>
    public async IAsyncEnumerable<Bar> ReadBarsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _readingBars, 1) != 0)
        {
            throw new InvalidOperationException($"{nameof(ReadBarsAsync)} is already being enumerated; the client has one bar reader at a time.");
        }

        try
        {
            while (await _bars.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (_bars.TryRead(out var bar))
                {
                    yield return bar;
                }
            }
        }
        finally
        {
            Volatile.Write(ref _readingBars, 0);
        }
    }

    /// <summary>The history a re-subscribe asks for after a reconnect (docs/clients.md, "Bars"): the closed bars since the
    /// one that started at <paramref name="lastClosedStartNs"/>, that one included, capped at <see cref="MaxBarHistory"/>.</summary>
    internal static uint HistorySince(long lastClosedStartNs, uint intervalSeconds, long nowNs)
    {
        var intervalNs = intervalSeconds * 1_000_000_000L;
        var missed = Math.Max(0, nowNs - lastClosedStartNs);
        return (uint)Math.Min(MaxBarHistory, ((missed + intervalNs - 1) / intervalNs) + 1);
    }

    /// <summary>One <c>subscribe_bars</c> per interval, throttle and history: every series again, each asking for the
    /// history since its last closed bar delivered, or for its original history when none was delivered.</summary>
    internal static List<SubscribeBars> BarResubscribes(
        IReadOnlyDictionary<BarKey, BarTerms> subscriptions, IReadOnlyDictionary<BarKey, long> lastClosedStarts, long nowNs)
    {
        var requests = new List<SubscribeBars>();
        foreach (var group in subscriptions.GroupBy(s => s.Value with { History = Needed(s.Key, s.Value) }))
        {
            requests.Add(group.Key.ToRequest(group.Select(s => s.Key.Symbol).Order(StringComparer.Ordinal)));
        }

        return requests;

        uint Needed(BarKey series, BarTerms terms)
        {
            if (series.Symbol != Wildcard)
            {
                return lastClosedStarts.TryGetValue(series, out var start) ? HistorySince(start, terms.IntervalSeconds, nowNs) : terms.History;
            }

            // Everything at this interval: as far back as the symbol that missed the most (the guard drops the overlap).
            var needed = terms.History;
            foreach (var (key, start) in lastClosedStarts)
            {
                if (key.IntervalSeconds == series.IntervalSeconds)
                {
                    needed = Math.Max(needed, HistorySince(start, terms.IntervalSeconds, nowNs));
                }
            }

            return needed;
        }
    }

    /// <summary>Forgets every bar subscription of <paramref name="symbols"/>, at any interval: the server dropped them
    /// (a refreshed token no longer covers the symbols), so a reconnect does not ask for them again.</summary>
    private void DropBarSeriesOf(IEnumerable<string> symbols)
    {
        var dropped = symbols.ToHashSet(StringComparer.Ordinal);
        lock (_subscriptionsLock)
        {
            _barSubscriptions = _barSubscriptions.Where(s => !dropped.Contains(s.Key.Symbol)).ToDictionary();
        }
    }

    /// <summary>True when a subscription in <paramref name="subscriptions"/> brings the bars of <paramref name="series"/>.</summary>
    private static bool Covers(Dictionary<BarKey, BarTerms> subscriptions, BarKey series) =>
        subscriptions.ContainsKey(series) || subscriptions.ContainsKey(series with { Symbol = Wildcard });

    private static Bar ToBar(Protocol.V1.Bar bar) => new()
    {
        Symbol = bar.Symbol,
        IntervalSeconds = (int)bar.IntervalS,
        StartNs = bar.StartNs,
        Open = bar.Open,
        High = bar.High,
        Low = bar.Low,
        Close = bar.Close,
        Volume = bar.Volume,
        Trades = (int)Math.Min(bar.Trades, int.MaxValue),
        Closed = bar.Closed,
    };

    /// <summary>Sends every bar subscription again on a new connection (after hello and the quote re-subscribe).</summary>
    private async Task ResubscribeBarsAsync(FeedConnection connection, CancellationToken cancellationToken)
    {
        var subscriptions = _barSubscriptions;
        if (subscriptions.Count == 0)
        {
            return;
        }

        var nowNs = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * TimeSpan.NanosecondsPerTick;
        foreach (var request in BarResubscribes(subscriptions, _bars.LastClosedStarts(), nowNs))
        {
            request.RequestId = (ulong)Interlocked.Increment(ref _nextRequestId);
            _barRequests[request.RequestId] = new BarTerms(request.IntervalS, request.History, request.ThrottleMs) { Again = true };
            await connection.SendAsync(new ClientMessage { SubscribeBars = request }, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The answer to a <c>subscribe_bars</c>: its accepted series are subscribed (before the history that follows
    /// is dispatched, so that it passes the subscription filter).</summary>
    private void OnBarsSubscribed(Protocol.V1.SubscribeResult result, BarTerms terms)
    {
        // A re-subscribe's series are subscribed already, with the history their caller asked for.
        if (result.Accepted.Count > 0 && !terms.Again)
        {
            lock (_subscriptionsLock)
            {
                var updated = new Dictionary<BarKey, BarTerms>(_barSubscriptions);
                foreach (var symbol in result.Accepted)
                {
                    updated[new BarKey(symbol, (int)terms.IntervalSeconds)] = terms;
                }

                _barSubscriptions = updated;
            }
        }

        Answer(result);
    }

    private void Accept(BarBatch batch)
    {
        var subscriptions = _barSubscriptions;
        foreach (var bar in batch.Bars)
        {
            // Bars of a series unsubscribed a moment ago may still be in flight: drop them.
            if (Covers(subscriptions, new BarKey(bar.Symbol, (int)bar.IntervalS)))
            {
                _bars.TryWrite(ToBar(bar));
            }
        }
    }

    /// <summary>What a bar subscription asked for: its interval, the history it asked for, its throttle.</summary>
    internal sealed record BarTerms(uint IntervalSeconds, uint History, uint ThrottleMs)
    {
        /// <summary>True for the re-subscribe of a reconnect, whose history was computed rather than asked for.</summary>
        public bool Again { get; init; }

        public SubscribeBars ToRequest(IEnumerable<string> symbols)
        {
            var request = new SubscribeBars { IntervalS = IntervalSeconds, History = History, ThrottleMs = ThrottleMs };
            request.Symbols.AddRange(symbols);
            return request;
        }
    }
}
