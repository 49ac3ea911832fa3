using System.Net;
using Microsoft.Extensions.Logging;
using PriceFeed.Server.Bars;
using PriceFeed.Server.Fanout;
using PriceFeed.Server.Metrics;
using PriceFeed.Server.Quotes;
using PriceFeed.Server.Ring;
using PriceFeed.Server.Security;
using PriceFeed.Server.Session;
using PriceFeed.Server.Sources;
using PriceFeed.Server.Sources.Redis;
using PriceFeed.Server.Transport;
using PriceFeed.Simulation;

namespace PriceFeed.Server.Hosting;

/// <summary>The whole server, composed: source -> ring -> fan-out -> sessions, and the network in front of it.</summary>
/// <remarks>
/// <para>Composition only: it builds each part from validated <see cref="FeedServerOptions"/>, hands it what
/// it uses (the transport its first handler, the sessions their settings and the fan-out's door, the status
/// endpoints <see cref="IServerStatus"/>), and runs start and stop in order. No part is handed the server.</para>
/// <para><see cref="StartAsync"/> and <see cref="StopAsync"/> are called once each, from one thread (Program, or
/// a test fixture).</para>
/// </remarks>
internal sealed partial class FeedServer : IServerStatus, IAsyncDisposable
{
    /// <summary>
    /// The longest start-up waits for the source to be ready: the bus source's own bounds (connect timeout,
    /// then one read of the cache) come well within it; past it the server serves anyway.
    /// </summary>
    private static readonly TimeSpan s_sourceReadyTimeout = TimeSpan.FromSeconds(15);

    private readonly ILogger _logger;
    private readonly RingBuffer<QuoteEvent> _ring;
    private readonly BatchEventProcessor<QuoteEvent>? _processor;  // the fan-out on a thread of its own, or
    private readonly ScheduledEventProcessor<QuoteEvent>? _scheduled; // on an event loop (--wait-strategy event-loop)
    private readonly QuoteFanoutHandler _fanout;
    private readonly LogAndContinueExceptionHandler<QuoteEvent> _fanoutFailures;
    private readonly IQuoteSource _source;
    private readonly FeedTransport _transport;
    private readonly long _startTicks = Environment.TickCount64;
    private Thread? _processorThread;
    private BarClock? _barClock;
    private int _stopped;

    public FeedServer(FeedServerOptions options, ILoggerFactory loggerFactory, QuoteSourceFactory? sourceFactory = null)
    {
        Options = options;
        _logger = loggerFactory.CreateLogger("PriceFeed.Server");
        Metrics = new ServerMetrics();
        Symbols = new SymbolTable(options.MaxSymbols);
        Cache = new LastValueCache(options.MaxSymbols);
        Registry = new SubscriptionRegistry(options.MaxSymbols);
        // The source first: the service and the fan-out follow its epoch.
        var waitStrategy = WaitStrategies.Create(options.WaitStrategy);
        _ring = new RingBuffer<QuoteEvent>(options.RingSize, waitStrategy);
        _source = (sourceFactory ?? s_createSource)(options, Symbols, _ring, loggerFactory);
        // Bars of every symbol in every interval; none with --bar-history 0.
        var bars = options.BarHistory > 0 ? new BarBook(Symbols, options.BarCloseDelayMs * 1_000_000L, options.BarHistory) : null;
        var barRegistry = bars is not null ? new BarRegistry(options.MaxSymbols) : null;
        Subscriptions = new SubscriptionService(Registry, Symbols, options.MaxSymbolsPerClient, _source.Epoch) { BarRegistry = barRegistry };
        // Clients' FIFOs point into a log of recent encoded quotes, sized from the ring and the policy.
        var dropOldest = options.Policy == SlowConsumerPolicy.Drop;
        var log = new QuoteLog(QuoteLog.CapacityFor(options.RingSize, dropOldest));
        // Every symbol's recent updates, for clients that resume; none with --resume-depth 0.
        var history = options.ResumeDepth > 0 ? new SymbolHistory(options.ResumeDepth, Symbols) : null;
        FanoutContext = new FanoutContext(Cache, log, dropOldest, options.QueueCapacity, options.SlowConsumerGraceMs, Metrics, history, bars, Symbols);
        var clientSessions = new ClientSessionFactory(
            FanoutContext, new ProtobufQuoteFrames(Cache, log), new JsonQuoteFrames(Cache, log, Symbols), Subscriptions);

        _fanout = new QuoteFanoutHandler(Cache, log, Symbols, Registry, history, _source.Epoch, Subscriptions, _source.Status, bars, barRegistry);
        // A quote the handler fails on costs that quote, not the feed: logged as an error (at most a line a second)
        // and counted in /metrics, and the processor goes on with the next one.
        _fanoutFailures = new LogAndContinueExceptionHandler<QuoteEvent>(loggerFactory.CreateLogger("PriceFeed.Server.Fanout"));
        if (waitStrategy is SignallingWaitStrategy signalling)
        {
            _scheduled = new ScheduledEventProcessor<QuoteEvent>(_ring, signalling, _fanout, _fanoutFailures);
        }
        else
        {
            _processor = new BatchEventProcessor<QuoteEvent>(_ring, _ring.NewBarrier(), _fanout, _fanoutFailures);
        }

        _ring.AddGatingSequences(ConsumerSequence);

        ServerId = options.ServerId ?? $"{Dns.GetHostName().ToLowerInvariant()}:{options.Port}";

        var sessions = new SessionContext(SessionOptionsOf(options), this, clientSessions, Subscriptions, Metrics, _logger);
        var endpoints = new StatusEndpoints(this, Symbols, Subscriptions, Metrics);
        var files = new StaticFiles();
        _transport = new FeedTransport(
            TransportOptionsOf(options), Metrics, admission => new HttpRouter(sessions, endpoints, files, admission));
    }

    public FeedServerOptions Options { get; }

    public string ServerId { get; private set; }

    public ServerMetrics Metrics { get; }

    public SymbolTable Symbols { get; }

    public LastValueCache Cache { get; }

    public SubscriptionRegistry Registry { get; }

    public SubscriptionService Subscriptions { get; }

    public FanoutContext FanoutContext { get; }

    public IQuoteSource Source => _source;

    public ConnectionTracker Connections => _transport.Connections;

    /// <summary>The port the server listens on (the real one when the option was 0).</summary>
    public int Port => _transport.LocalEndPoint?.Port ?? Options.Port;

    public TimeSpan Uptime => TimeSpan.FromMilliseconds(Environment.TickCount64 - _startTicks);

    /// <summary>Quotes the fan-out thread has taken from the ring.</summary>
    public long QuotesProcessed => _fanout.Processed;

    /// <summary>Quotes the fan-out thread failed on and skipped.</summary>
    public long FanoutFailures => _fanoutFailures.EventFailures;

    /// <summary>Quotes published into the ring and not yet taken by the fan-out.</summary>
    public long RingLag => _ring.Cursor - ConsumerSequence.Value;

    /// <summary>The fan-out's progress through the ring, whichever way it runs.</summary>
    private Sequence ConsumerSequence => _processor?.Sequence ?? _scheduled!.Sequence;

    int IServerStatus.OpenConnections => Connections.Open;

    public async Task StartAsync()
    {
        // The source and the fan-out run before the listener binds, so that a node joining a running bus has
        // loaded the shared last-value cache into its own before its first client subscribes: complete snapshots at once.
        if (_processor is not null)
        {
            _processorThread = _processor.Start("pricefeed-fanout");
        }
        else
        {
            var loop = _transport.FanoutLoop;
            var run = new FanoutRun(_scheduled!);
            _scheduled!.Start(() => loop.Execute(run));
        }

        _source.Start();
        if (FanoutContext.Bars is not null)
        {
            _barClock = new BarClock(FanoutContext.Bars.CloseDelayNs, _processor is not null ? _processor.Tick : _scheduled!.Tick);
        }

        await WaitForSourceAsync().ConfigureAwait(false);

        await _transport.StartAsync().ConfigureAwait(false);
        if (Options.ServerId is null && Options.Port == 0)
        {
            ServerId = $"{Dns.GetHostName().ToLowerInvariant()}:{Port}";
        }

        var secure = Options.TlsCertificate is not null;
        _logger.LogInformation(
            "PriceFeed {ServerId} listening on {Scheme}://{Host}:{Port}/ (WebSocket /ws); ring {RingSize} slots, {WaitStrategy}, policy {Policy}",
            ServerId, secure ? "https" : "http", Options.Host, Port, Options.RingSize, WaitStrategies.NameOf(Options.WaitStrategy), FeedServerOptions.NameOf(Options.Policy));
        _logger.LogInformation(
            "Access: tokens {Tokens}, origins {Origins}, TLS {Tls}",
            Options.Tokens is null ? "off (anyone may connect)" : "required",
            Options.AllowedOrigins.IsRestricted ? string.Join(", ", Options.AllowedOrigins.Allowed) : "any",
            secure ? Options.TlsCertificate!.Subject : "off");
    }

    /// <summary>Waits until the source is ready and the fan-out has taken what it published into the last-value cache.</summary>
    private async Task WaitForSourceAsync()
    {
        var ready = _source.Ready;
        if (await Task.WhenAny(ready, Task.Delay(s_sourceReadyTimeout)).ConfigureAwait(false) != ready)
        {
            _logger.LogWarning("Source {Source} not ready after {Seconds} s; serving anyway", _source.Name, s_sourceReadyTimeout.TotalSeconds);
            return;
        }

        var published = _ring.Cursor;
        var deadline = Environment.TickCount64 + (long)s_sourceReadyTimeout.TotalMilliseconds;
        while (ConsumerSequence.Value < published && Environment.TickCount64 < deadline)
        {
            await Task.Delay(1).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sends every client <c>go_away</c> with its own <c>reconnect_after_ms</c>: client <c>i</c> of <c>n</c> (in no
    /// particular order) comes back after <c>i x --drain-spread-ms / n</c>, so a restart brings them back at an even
    /// rate rather than all at once (one client: at once).
    /// </summary>
    private void SendGoAway()
    {
        var sessions = Subscriptions.Sessions.ToArray();
        for (var i = 0; i < sessions.Length; i++)
        {
            var after = (uint)((long)Options.DrainSpreadMs * i / sessions.Length);
            sessions[i].GoAway(after, "shutdown");
        }

        if (sessions.Length > 0)
        {
            _logger.LogInformation(
                "Going away: {Clients} clients told to reconnect over the next {SpreadMs} ms", sessions.Length, Options.DrainSpreadMs);
        }
    }

    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        // Clients first, then the source, then the fan-out, and the event loops last: the fan-out may run on one of
        // them, and a source still publishing into a ring that nobody consumes waits for room forever. Each client is
        // told when to come back before its 1001 (docs/protocol.md, "Go-away").
        await _transport.StopAcceptingAsync().ConfigureAwait(false);
        SendGoAway();
        await _transport.CloseConnectionsAsync().ConfigureAwait(false);
        _barClock?.Dispose();
        await _source.StopAsync().ConfigureAwait(false);

        // Let the fan-out finish what the source published before it stops.
        var deadline = Environment.TickCount64 + 2_000;
        while (RingLag > 0 && Environment.TickCount64 < deadline)
        {
            await Task.Delay(5).ConfigureAwait(false);
        }

        if (_processor is not null)
        {
            _processor.HaltAndWait(TimeSpan.FromSeconds(5));
        }
        else
        {
            _scheduled!.Halt();
        }

        var forced = await _transport.StopLoopsAsync().ConfigureAwait(false);
        if (forced > 0)
        {
            _logger.LogWarning("{Loops} event loops did not stop gracefully within 3 s and were stopped (a DotNetty 0.7.6 shutdown spin)", forced);
        }
        _source.Dispose();
    }

    public ValueTask DisposeAsync() => new(StopAsync());


    /// <summary>One run of the fan-out as an event loop's task: allocated once, queued at most once at a time.</summary>
    private sealed class FanoutRun(ScheduledEventProcessor<QuoteEvent> processor) : DotNetty.Common.Concurrency.IRunnable
    {
        public void Run() => processor.Run();
    }
}
