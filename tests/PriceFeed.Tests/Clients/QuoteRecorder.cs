using System.Collections.Concurrent;
using PriceFeed.Client;

namespace PriceFeed.Tests.Clients;

/// <summary>Reads a client's quotes on a background task and keeps what the tests assert on.</summary>
/// <remarks>
/// Records every seq order violation instead of throwing on the reader, so the test thread can report
/// them; also records the client's state changes and gaps. Thread-safe for the test thread to read.
/// </remarks>
internal sealed class QuoteRecorder : IAsyncDisposable
{
    private readonly PriceFeedClient _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, Quote> _last = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _violations = new();
    private readonly ConcurrentQueue<ConnectionStateChangedEventArgs> _states = new();
    private readonly Task _reader;
    private long _count;
    private long _gaps;
    private long _epochChanges;

    public QuoteRecorder(PriceFeedClient client)
    {
        _client = client;
        client.StateChanged += (_, e) => _states.Enqueue(e);
        client.GapDetected += (_, _) => Interlocked.Increment(ref _gaps);
        client.Resumed += (_, e) =>
        {
            if (e.EpochChanged)
            {
                // docs/protocol.md, "Epoch": a new epoch starts every symbol's seqs again; order is checked within one.
                // Raised before the new epoch's first quote is handed to the reader.
                _last.Clear();
                Interlocked.Increment(ref _epochChanges);
            }
        };
        _reader = Task.Run(ReadAsync);
    }

    /// <summary>Quotes read so far. Rethrows the reader's failure, so that a client that closed fails the
    /// waiting test at once with its cause rather than by a timeout.</summary>
    public long Count
    {
        get
        {
            if (_reader.IsFaulted)
            {
                _reader.GetAwaiter().GetResult();
            }

            return Interlocked.Read(ref _count);
        }
    }

    public long Gaps => Interlocked.Read(ref _gaps);

    /// <summary>Times the client reported that its server's epoch changed (a restarted source).</summary>
    public long EpochChanges => Interlocked.Read(ref _epochChanges);

    /// <summary>The newest quote read per symbol.</summary>
    public IReadOnlyDictionary<string, Quote> Last => _last;

    /// <summary>Quotes whose seq was not above the previous one of their symbol in the same epoch: must stay empty.</summary>
    public IReadOnlyCollection<string> Violations => _violations;

    public IReadOnlyCollection<ConnectionStateChangedEventArgs> States => _states;

    public bool Saw(ConnectionState state) => _states.Any(s => s.State == state);

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
        await foreach (var quote in _client.ReadQuotesAsync(_stop.Token))
        {
            if (_last.TryGetValue(quote.Symbol, out var previous) && quote.Seq <= previous.Seq)
            {
                _violations.Enqueue($"{quote.Symbol}: seq {quote.Seq} after {previous.Seq}");
            }

            _last[quote.Symbol] = quote;
            Interlocked.Increment(ref _count);
        }
    }
}
