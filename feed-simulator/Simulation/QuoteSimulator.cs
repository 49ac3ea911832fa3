using System.Diagnostics;

namespace PriceFeed.Simulation;

/// <summary>
/// The paced quote source: on a thread of its own, produces the quotes of a
/// <see cref="QuoteGenerator"/> at the planned rate and hands them to an <see cref="IQuoteSink"/>
/// in batches.
/// </summary>
/// <remarks>
/// <para>Pacing: the loop reads the clock, makes every quote whose planned time has come (up to
/// <see cref="MaxBatchSize"/> per batch), publishes them, and repeats; when none is due it waits
/// for the next one: it sleeps when that is more than about 2 ms away, yields, then spins when
/// it is close (<see cref="SimulatorOptions.PacingSlack"/> trades that punctuality for CPU).
/// A quote's <see cref="SimulatedQuote.SourceTimeNs"/> is its planned time, never the time the
/// loop got to it: after a stall (a slow sink, a GC pause) the loop catches up in full batches
/// of quotes that keep their planned times.</para>
/// <para>Determinism: the same options and seed give the same quotes (instrument, seq, prices,
/// sizes, volume) and the same offsets of <see cref="SimulatedQuote.SourceTimeNs"/> from
/// <see cref="StartUnixNs"/>.</para>
/// <para>Thread-safety: <see cref="Start"/>, <see cref="Stop"/>, <see cref="Dispose"/> and every
/// property may be called from any thread. The sink is called from the simulator's thread only,
/// one batch at a time, so it may be a single producer. If the sink throws, the simulator stops and
/// <see cref="Completion"/> faults with that exception.</para>
/// </remarks>
public sealed class QuoteSimulator : IDisposable
{
    /// <summary>The most quotes handed to the sink in one call.</summary>
    /// <remarks>256: large enough that a catch-up at 1,000,000 quotes/s costs a few thousand calls
    /// a second, small enough that a batch is made and published in tens of microseconds.</remarks>
    public const int MaxBatchSize = 256;

    // Waiting for the next quote: a 1 ms wait on Linux ends 50-150 us late, so the loop sleeps only until
    // 250 us before the quote is due (plus the slack), and not at all when that is less than 1 ms away.
    // A margin as large as the slack would cancel it: with a 1 ms slack the loop would never sleep.
    private const long SleepMarginNs = 250_000;

    // Under this the loop spins instead of yielding: a yield that gives the core to another thread
    // can cost a whole scheduler slice.
    private const long SpinBelowNs = 20_000;

    private const long NanosecondsPerSecond = 1_000_000_000;
    private const long NanosecondsPerTick = NanosecondsPerSecond / TimeSpan.TicksPerSecond;

    private const int Created = 0;
    private const int Running = 1;
    private const int Finished = 2;

    private static readonly double s_nanosecondsPerTimestampTick = (double)NanosecondsPerSecond / Stopwatch.Frequency;

    private readonly IQuoteSink _sink;
    private readonly QuoteGenerator _generator;
    private readonly PacingPlan _plan;
    private readonly long _durationNs;
    private readonly long _slackNs;
    private readonly SimulatedQuote[] _batch = new SimulatedQuote[MaxBatchSize];
    // Never disposed: it is not handed out as a WaitHandle, so it holds no kernel object, and
    // keeping it alive lets Stop be called safely after Dispose or from the sink.
    private readonly ManualResetEventSlim _stopRequested = new(initialState: false);
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Thread _thread;

    private int _state = Created;
    private long _startUnixNs;
    private long _startTimestamp;
    private long _endTimestamp;
    private long _quotesPublished;
    private double _quotesPerSecond;
    private long _lagNs;

    /// <summary>Prepares a simulator: draws the universe and the quote model from the seed; nothing runs until <see cref="Start"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="options"/> are invalid (see <see cref="SimulatorOptions.Validate"/>).</exception>
    public QuoteSimulator(SimulatorOptions options, IQuoteSink sink)
        : this(options, SymbolUniverse.Create(options), sink)
    {
    }

    /// <summary>Prepares a simulator over a universe drawn beforehand, for callers whose sink needs the
    /// symbols when it is made (the server maps them to its ids once, at start-up).</summary>
    /// <param name="options">The options; <see cref="SimulatorOptions.Symbols"/> and <see cref="SimulatorOptions.Seed"/> (if set) must match the universe.</param>
    /// <param name="universe">Made by <see cref="SymbolUniverse.Create(SimulatorOptions)"/> from the same options; its seed drives the quotes.</param>
    /// <param name="sink">Receives the quotes, on the simulator's thread.</param>
    /// <exception cref="ArgumentException">The options are invalid, or the universe was not made from them.</exception>
    public QuoteSimulator(SimulatorOptions options, SymbolUniverse universe, IQuoteSink sink)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(universe);
        ArgumentNullException.ThrowIfNull(sink);
        options.ThrowIfInvalid();
        if (universe.Count != options.Symbols || (options.Seed is { } seed && seed != universe.Seed))
        {
            throw new ArgumentException(
                $"The universe ({universe.Count} symbols, seed {universe.Seed}) was not made from these options ({options.Symbols} symbols, seed {options.Seed}): make it with SymbolUniverse.Create(options).",
                nameof(universe));
        }

        Seed = universe.Seed;
        Rate = options.Rate;
        Universe = universe;
        _generator = new QuoteGenerator(universe, Seed);
        _plan = new PacingPlan(options);
        _durationNs = ToNanoseconds(options.Duration);
        _slackNs = options.PacingSlack.Ticks * NanosecondsPerTick;
        _sink = sink;
        _thread = new Thread(Run) { IsBackground = true, Name = "PriceFeed quote simulator" };
    }

    /// <summary>The seed in use: the one in the options, or the one drawn when they had none.</summary>
    public ulong Seed { get; }

    /// <summary>The asked rate outside bursts, in quotes per second.</summary>
    public int Rate { get; }

    /// <summary>The instruments quoted; <see cref="SimulatedQuote.Instrument"/> indexes its symbols.</summary>
    public SymbolUniverse Universe { get; }

    /// <summary>Completes when the duration has elapsed or after <see cref="Stop"/>; faults if the sink threw.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Unix time in ns at which the run started: quote i's source time is this plus its planned offset. 0 before <see cref="Start"/>.</summary>
    public long StartUnixNs => Volatile.Read(ref _startUnixNs);

    /// <summary>Time since the run started, frozen when it ends; zero before <see cref="Start"/>.</summary>
    /// <remarks>Measured from the first quote's planned time, so thread start-up does not count
    /// against the rate: <see cref="QuotesPublished"/> / <see cref="Elapsed"/> is the achieved rate.</remarks>
    public TimeSpan Elapsed
    {
        get
        {
            var start = Volatile.Read(ref _startTimestamp);
            if (start == 0)
            {
                return TimeSpan.Zero;
            }

            var end = Volatile.Read(ref _endTimestamp);
            return Stopwatch.GetElapsedTime(start, end == 0 ? Stopwatch.GetTimestamp() : end);
        }
    }

    /// <summary>Quotes handed to the sink so far.</summary>
    public long QuotesPublished => Volatile.Read(ref _quotesPublished);

    /// <summary>Quotes per second published over the last full second or so.</summary>
    public double QuotesPerSecond => Volatile.Read(ref _quotesPerSecond);

    /// <summary>How late, in ns, the latest batch's first quote was published against its planned time.</summary>
    /// <remarks>Stays under a millisecond while the sink keeps up; grows while it does not.</remarks>
    public long LagNs => Volatile.Read(ref _lagNs);

    /// <summary>Starts the simulator's thread. Call once.</summary>
    /// <exception cref="InvalidOperationException">Already started or stopped.</exception>
    public void Start()
    {
        if (Interlocked.CompareExchange(ref _state, Running, Created) != Created)
        {
            throw new InvalidOperationException("The simulator can be started once only; create a new one to run again.");
        }

        _thread.Start();
    }

    /// <summary>Asks the simulator to stop and returns at once; <see cref="Completion"/> completes when it has.</summary>
    /// <remarks>The loop checks between batches and wakes from any wait, so it stops within one batch
    /// (plus the sink call in progress). Calling it more than once, or before <see cref="Start"/>, is fine.</remarks>
    public void Stop()
    {
        _stopRequested.Set();
        if (Interlocked.CompareExchange(ref _state, Finished, Created) == Created)
        {
            _completion.TrySetResult();
        }
    }

    /// <summary>Stops the simulator and waits for its thread to end (unless called from it, e.g. by the sink).</summary>
    public void Dispose()
    {
        Stop();
        if (_thread.IsAlive && Thread.CurrentThread != _thread)
        {
            _thread.Join();
        }
    }

    private void Run()
    {
        try
        {
            Pace();
            Volatile.Write(ref _endTimestamp, Stopwatch.GetTimestamp());
            _completion.TrySetResult();
        }
#pragma warning disable CA1031 // Whatever the sink throws is handed to Completion's awaiters: the thread must not die with it.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            Volatile.Write(ref _endTimestamp, Stopwatch.GetTimestamp());
            _completion.TrySetException(exception);
        }
        finally
        {
            Volatile.Write(ref _state, Finished);
        }
    }

    private void Pace()
    {
        // The first clock read of the process pays one-time set-up (tens of microseconds, measured
        // 50-70 us): pay it before sampling the pair, or every source time runs ahead of the wall clock by it.
        _ = UnixTime.NowNs();
        var startTimestamp = Stopwatch.GetTimestamp();
        var startUnixNs = UnixTime.NowNs();
        Volatile.Write(ref _startUnixNs, startUnixNs);
        Volatile.Write(ref _startTimestamp, startTimestamp);

        long next = 0;
        var nextDueNs = _plan.TimeOfNs(next);
        var rateWindowStartNs = 0L;
        var rateWindowStartCount = 0L;

        while (!_stopRequested.IsSet)
        {
            if (nextDueNs >= _durationNs)
            {
                // Everything planned is out; the run still lasts its full duration, no more (no slack).
                WaitUntil(_durationNs, slackNs: 0, startTimestamp);
                return;
            }

            var nowNs = ElapsedNs(startTimestamp);
            if (nextDueNs > nowNs)
            {
                WaitUntil(nextDueNs, _slackNs, startTimestamp);
                continue;
            }

            var lagNs = nowNs - nextDueNs;
            var count = 0;
            do
            {
                _generator.Next(ref _batch[count], startUnixNs + nextDueNs);
                count++;
                nextDueNs = _plan.TimeOfNs(++next);
            }
            while (count < _batch.Length && nextDueNs <= nowNs && nextDueNs < _durationNs);

            _sink.Publish(new ReadOnlySpan<SimulatedQuote>(_batch, 0, count));
            Volatile.Write(ref _quotesPublished, next);
            Volatile.Write(ref _lagNs, lagNs);

            if (nowNs - rateWindowStartNs >= NanosecondsPerSecond)
            {
                Volatile.Write(ref _quotesPerSecond, (next - rateWindowStartCount) * (double)NanosecondsPerSecond / (nowNs - rateWindowStartNs));
                rateWindowStartNs = nowNs;
                rateWindowStartCount = next;
            }
        }
    }

    private void WaitUntil(long dueNs, long slackNs, long startTimestamp)
    {
        while (!_stopRequested.IsSet)
        {
            var remainingNs = dueNs - ElapsedNs(startTimestamp);
            if (remainingNs <= 0)
            {
                return;
            }

            // The slack lets a sleep end after the due time (what fell due meanwhile then goes out in
            // one batch); the margin keeps the sleep's overshoot within the slack.
            var sleepMs = (remainingNs + slackNs - SleepMarginNs) / 1_000_000;
            if (sleepMs >= 1)
            {
                // A wait rather than Thread.Sleep so that Stop wakes the loop at once.
                _stopRequested.Wait(TimeSpan.FromMilliseconds(sleepMs));
            }
            else if (remainingNs > SpinBelowNs)
            {
                Thread.Yield();
            }
            else
            {
                Thread.SpinWait(20);
            }
        }
    }

    // No duration, or one past what a long holds in ns (292 years), is the same: run until stopped.
    private static long ToNanoseconds(TimeSpan? duration) =>
        duration is { } d && d.Ticks <= long.MaxValue / NanosecondsPerTick ? d.Ticks * NanosecondsPerTick : long.MaxValue;

    private static long ElapsedNs(long startTimestamp) =>
        (long)((Stopwatch.GetTimestamp() - startTimestamp) * s_nanosecondsPerTimestampTick);
}
