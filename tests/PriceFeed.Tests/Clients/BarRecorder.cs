using System.Collections.Concurrent;
using PriceFeed.Client;

namespace PriceFeed.Tests.Clients;

/// <summary>Reads a client's bars on a background task and keeps what the tests assert on.</summary>
/// <remarks>Checks the client's promise per symbol and interval as it reads (docs/clients.md, "Bars"): each closed bar
/// starts exactly one interval after the previous closed one (no gap, no repeat), and a bar in progress starts after
/// the last closed one. Breaches are recorded rather than thrown on the reader, for the test thread to report.
/// Thread-safe for the test thread to read.</remarks>
internal sealed class BarRecorder : IAsyncDisposable
{
    private readonly PriceFeedClient _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<(string Symbol, int Interval), ConcurrentQueue<Bar>> _closed = new();
    private readonly ConcurrentQueue<Bar> _all = new();
    private readonly ConcurrentQueue<string> _violations = new();
    private readonly Task _reader;

    public BarRecorder(PriceFeedClient client)
    {
        _client = client;
        client.StateChanged += (_, e) => States.Enqueue(e.State);
        _reader = Task.Run(ReadAsync);
    }

    /// <summary>Every bar read, in order. Rethrows the reader's failure, so that a client that closed fails the waiting
    /// test at once with its cause rather than by a timeout.</summary>
    public IReadOnlyCollection<Bar> All
    {
        get
        {
            if (_reader.IsFaulted)
            {
                _reader.GetAwaiter().GetResult();
            }

            return _all;
        }
    }

    /// <summary>Breaches of the client's promise: must stay empty.</summary>
    public IReadOnlyCollection<string> Violations => _violations;

    public ConcurrentQueue<ConnectionState> States { get; } = new();

    /// <summary>The closed bars read of one series, in the order read.</summary>
    public IReadOnlyList<Bar> Closed(string symbol, int interval) =>
        _closed.TryGetValue((symbol, interval), out var bars) ? [.. bars] : [];

    /// <summary>Closed bars read of each of <paramref name="symbols"/> at <paramref name="interval"/>: the fewest of any.</summary>
    public int FewestClosed(IEnumerable<string> symbols, int interval) => symbols.Min(s => Closed(s, interval).Count);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _reader;
        }
        catch (OperationCanceledException)
        {
            // The reader was stopped, as asked.
        }

        _stop.Dispose();
    }

    private async Task ReadAsync()
    {
        await foreach (var bar in _client.ReadBarsAsync(_stop.Token))
        {
            var closed = _closed.GetOrAdd((bar.Symbol, bar.IntervalSeconds), _ => new ConcurrentQueue<Bar>());
            if (closed.LastOrDefault() is { } last)
            {
                var expected = last.StartNs + (bar.IntervalSeconds * 1_000_000_000L);
                if (bar.Closed && bar.StartNs != expected)
                {
                    _violations.Enqueue($"{bar.Symbol}/{bar.IntervalSeconds}s: closed bar at {bar.StartNs} after the closed one at {last.StartNs} (expected {expected})");
                }
                else if (!bar.Closed && bar.StartNs <= last.StartNs)
                {
                    _violations.Enqueue($"{bar.Symbol}/{bar.IntervalSeconds}s: bar in progress at {bar.StartNs} after the closed one at {last.StartNs}");
                }
            }

            if (bar.Closed)
            {
                closed.Enqueue(bar);
            }

            _all.Enqueue(bar);
        }
    }
}
