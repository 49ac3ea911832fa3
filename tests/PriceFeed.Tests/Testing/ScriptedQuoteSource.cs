using PriceFeed.Server.Hosting;
using PriceFeed.Server.Quotes;
using PriceFeed.Server.Ring;
using PriceFeed.Server.Sources;
using PriceFeed.Simulation;

namespace PriceFeed.Tests.Testing;

/// <summary>A quote source the test drives: exact quotes, new symbols and silences, through the real ring and fan-out.</summary>
/// <remarks>Publishing is serialized by a lock, so the ring keeps its single producer even when tests publish from several tasks.</remarks>
internal sealed class ScriptedQuoteSource : IQuoteSource
{
    private readonly SymbolTable _symbols;
    private readonly RingBuffer<QuoteEvent> _ring;
    private readonly Dictionary<int, ulong> _seqs = [];
    private readonly Lock _lock = new();
    private long _published;

    private ScriptedQuoteSource(SymbolTable symbols, RingBuffer<QuoteEvent> ring)
    {
        _symbols = symbols;
        _ring = ring;
    }

    public string Name => "scripted";

    /// <summary>The epoch announced in <c>hello</c>; a test may set it before the server starts (empty: no resume).</summary>
    public SourceEpoch Epoch { get; set; } = new("scripted-epoch-1");

    /// <summary>Live until a test says otherwise (<see cref="ChangeStatus"/>).</summary>
    public SourceStatus Status { get; } = new();

    public long Published => Volatile.Read(ref _published);

    /// <summary>A factory for <see cref="TestServer.StartAsync"/> that hands the source it made to <paramref name="created"/>.</summary>
    public static QuoteSourceFactory Factory(Action<ScriptedQuoteSource> created, params string[] symbols) =>
        (_, table, ring, _) =>
        {
            foreach (var symbol in symbols)
            {
                table.Intern(symbol);
            }

            var source = new ScriptedQuoteSource(table, ring);
            created(source);
            return source;
        };

    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Completion => _completion.Task;

    public void Start()
    {
    }

    /// <summary>Declares the source quiet: tests use it as "the source has stopped" for convergence.</summary>
    public Task StopAsync()
    {
        _completion.TrySetResult();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
    }

    /// <summary>Publishes the next quote of <paramref name="symbol"/> (interning it if new); returns its seq.</summary>
    public ulong Publish(string symbol, double mid = 100)
    {
        lock (_lock)
        {
            var sequence = _ring.Next();
            var seq = Fill(sequence, symbol, mid);
            _ring.Publish(sequence);
            return seq;
        }
    }

    /// <summary>Publishes the next quote of each of <paramref name="symbols"/> in one claim of the ring, so the fan-out takes them as one batch.</summary>
    public void PublishBatch(IReadOnlyList<string> symbols, double mid = 100)
    {
        lock (_lock)
        {
            var hi = _ring.Next(symbols.Count);
            var lo = hi - symbols.Count + 1;
            for (var i = 0; i < symbols.Count; i++)
            {
                Fill(lo + i, symbols[i], mid);
            }

            _ring.Publish(lo, hi);
        }
    }

    /// <summary>Publishes the next quote of <paramref name="symbol"/> with the given source time, last price and
    /// cumulative volume (what bars are made of); bid and ask sit a cent around <paramref name="last"/>. Returns its seq.</summary>
    public ulong PublishAt(string symbol, long sourceTimeNs, double last, ulong volume)
    {
        lock (_lock)
        {
            var sequence = _ring.Next();
            var seq = Fill(sequence, symbol, last);
            _ring[sequence].SourceTimeNs = sourceTimeNs;
            _ring[sequence].Volume = volume;
            _ring.Publish(sequence);
            return seq;
        }
    }

    /// <summary>Publishes a slot whose symbol id no table holds: a quote the fan-out fails on, as a bug on one odd value would.</summary>
    public void PublishUnprocessable()
    {
        lock (_lock)
        {
            var sequence = _ring.Next();
            _ring[sequence] = new QuoteEvent { SymbolId = -1000, Seq = 1 };
            _ring.Publish(sequence);
            _published++;
        }
    }

    /// <summary>Makes the source unreachable (<paramref name="live"/> false, with <paramref name="reason"/>) or reachable again, as a bus going down and up does.</summary>
    public void ChangeStatus(bool live, string reason = "")
    {
        lock (_lock)
        {
            if (Status.Announce(live, reason))
            {
                var sequence = _ring.Next();
                _ring[sequence] = QuoteEvent.StatusChange(UnixTime.NowNs());
                _ring.Publish(sequence);
            }
        }
    }

    /// <summary>Starts a new epoch, as a restarted publisher does: seqs start again at 1 after the marker.</summary>
    public void ChangeEpoch(string epoch)
    {
        lock (_lock)
        {
            Epoch.Announce(epoch);
            _seqs.Clear();
            var sequence = _ring.Next();
            _ring[sequence] = QuoteEvent.EpochChange(UnixTime.NowNs());
            _ring.Publish(sequence);
        }
    }

    private ulong Fill(long sequence, string symbol, double mid)
    {
        var id = _symbols.Intern(symbol);
        var seq = _seqs[id] = _seqs.GetValueOrDefault(id) + 1;
        var now = UnixTime.NowNs();
        _ring[sequence] = new QuoteEvent
        {
            SymbolId = id, Seq = seq, SourceTimeNs = now, PublishTimeNs = now,
            Bid = mid - 0.01, Ask = mid + 0.01, BidSize = 100, AskSize = 200, Last = mid, LastSize = 10, Volume = seq * 10,
        };
        _published++;
        return seq;
    }

    /// <summary>The last seq published for <paramref name="symbol"/>, 0 if none.</summary>
    public ulong LastSeq(string symbol)
    {
        lock (_lock)
        {
            return _symbols.TryGetId(symbol, out var id) ? _seqs.GetValueOrDefault(id) : 0;
        }
    }
}
