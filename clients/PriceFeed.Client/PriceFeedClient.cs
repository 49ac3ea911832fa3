using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using PriceFeed.Protocol.V1;

namespace PriceFeed.Client;

/// <summary>A PriceFeed subscriber that stays connected: subscribe, then <c>await foreach</c> over <see cref="ReadQuotesAsync"/>.</summary>
/// <remarks>
/// <para><b>Model.</b> Quotes arrive through <see cref="ReadQuotesAsync"/> only, and bars through
/// <see cref="ReadBarsAsync"/> (see <see cref="SubscribeBarsAsync"/>). Everything else is an
/// event: <see cref="GapDetected"/> fires on the reader, just before the quote that reveals the gap is
/// yielded; <see cref="StateChanged"/> fires on the client's connection loop. Handlers should return
/// quickly; an exception thrown by a <see cref="StateChanged"/> handler closes the client and is rethrown
/// by <see cref="ReadQuotesAsync"/>.</para>
/// <para><b>Reconnects.</b> After the first connection, a lost one is replaced after an exponential backoff
/// with full jitter (<see cref="PriceFeedClientOptions.ReconnectDelay"/> doubling up to
/// <see cref="PriceFeedClientOptions.MaxReconnectDelay"/>); every subscription is sent again, and quotes
/// not newer than those already delivered are ignored, so each symbol's seq strictly increases for the
/// reader across reconnects (within one epoch, see below). Refusals that would repeat (bad token, protocol or policy
/// violation) close the client instead; see <see cref="PriceFeedException.IsTransient"/>.</para>
/// <para><b>Resume.</b> The client remembers the epoch (<see cref="ServerHello.Epoch"/>) its seqs came from
/// and the last seq per symbol. When the new connection's server names the same epoch and keeps history
/// (<see cref="ServerHello.ResumeDepth"/> above 0), the re-subscribe asks to resume from those seqs: the
/// server sends exactly the missed updates, so the reader sees no gap; symbols it cannot resume get a
/// snapshot as before. <see cref="Resumed"/> reports which was which. A server with a different epoch
/// (a restarted source: seqs started again) gets no resume request, and the client's seq guard starts
/// again instead of ignoring the new, lower seqs as stale; this also happens mid-connection when the
/// server announces a new epoch in a fresh <c>hello</c>. Turn resume off with
/// <see cref="PriceFeedClientOptions.ResumeOnReconnect"/>.</para>
/// <para><b>Tokens.</b> With <see cref="PriceFeedClientOptions.TokenRefresher"/>, the client asks for a new token at 80%
/// of the current one's remaining lifetime, sends it as <c>auth</c> on the open connection (the server answers with the
/// new expiry, <see cref="TokenExpiresAt"/>) and presents the latest token on every reconnect; without it, a server
/// with tokens closes the connection with 1008 at the token's <c>exp</c> and the client closes with it.</para>
/// <para><b>Dead connections.</b> The client pings every half heartbeat interval (announced in
/// <c>hello</c>) and replaces a connection on which no frame of any kind arrived for
/// <see cref="DeadAfterHeartbeats"/> intervals.</para>
/// <para><b>Buffer.</b> Between the connection and the reader sits a buffer of
/// <see cref="PriceFeedClientOptions.BufferCapacity"/> quotes that conflates by symbol when the reader falls
/// behind; <see cref="QuotesConflated"/> counts what it discarded.</para>
/// <para>Thread-safety: every member may be called from any thread; one <see cref="ReadQuotesAsync"/>
/// enumeration at a time, and one <see cref="ReadBarsAsync"/> enumeration.</para>
/// </remarks>
public sealed partial class PriceFeedClient : IAsyncDisposable
{
    /// <summary>Heartbeat intervals without any frame after which a connection is declared dead and replaced.</summary>
    /// <remarks>2.5: the server pings every interval and the client pings every half interval, so a live
    /// connection carries several frames in that time, while a dead one is replaced within three intervals.</remarks>
    public const double DeadAfterHeartbeats = 2.5;

    private const string Wildcard = "*";

    private readonly PriceFeedClientOptions _options;
    private readonly MessageCodec _codec;
    private readonly QuoteBuffer _buffer;
    private readonly TokenKeeper _tokens;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource<SubscribeResult?>> _pending = new();
    private readonly Lock _subscriptionsLock = new();
    // Read by the reader only: the seq of the last quote yielded per symbol, for gap detection.
    private readonly Dictionary<string, ulong> _lastYieldedSeq = new(StringComparer.Ordinal);
    // Copy-on-write under _subscriptionsLock, so the connection loop filters quotes without locking.
    private volatile HashSet<string> _subscriptions = new(StringComparer.Ordinal);
    private volatile TaskCompletionSource<FeedConnection> _connected = NewConnectedSource();
    private volatile ServerHello? _server;
    // Connection loop only: the epoch the seqs in the buffer's guard belong to, and the re-subscribe awaiting its answer.
    private string _epoch = "";
    private PendingResume? _pendingResume;
    private Task _run = Task.CompletedTask;
    private long _nextRequestId;
    private long _gaps;
    private int _state;
    private int _reading;
    private int _disposed;
    private FeedStatusEventArgs _feedStatus = new(live: true, string.Empty, DateTimeOffset.UnixEpoch);

    private PriceFeedClient(PriceFeedClientOptions options)
    {
        _options = options;
        _codec = MessageCodec.For(options.Subprotocol);
        _buffer = new QuoteBuffer(options.BufferCapacity);
        _tokens = new TokenKeeper(options.Token, options.TokenRefresher);
    }

    /// <summary>Raised when the connection state changes, on the client's connection loop.</summary>
    public event EventHandler<ConnectionStateChangedEventArgs>? StateChanged;

    /// <summary>Raised on the reader, just before yielding a quote whose seq is more than one above the previous one yielded for its symbol.</summary>
    public event EventHandler<GapDetectedEventArgs>? GapDetected;

    /// <summary>Raised on the client's connection loop when the server answers the re-subscribe after a reconnect
    /// (or announces a new epoch mid-connection): which held symbols were resumed with no gap and which were snapshotted.</summary>
    /// <remarks>Not raised for the first connection, nor when the client held no quote. An exception thrown by a
    /// handler closes the client, as for <see cref="StateChanged"/>.</remarks>
    public event EventHandler<ResumedEventArgs>? Resumed;

    /// <summary>Raised on the client's connection loop when the server warns that this client is falling behind (4001
    /// follows unless it catches up), and again when the warning is cleared (docs/clients.md, "Signals").</summary>
    /// <remarks>An exception thrown by a handler closes the client, as for <see cref="StateChanged"/>.</remarks>
    public event EventHandler<SlowConsumerEventArgs>? SlowConsumerWarning;

    /// <summary>Raised on the client's connection loop when the server says it is going away (a restart or shutdown):
    /// the connection closes with 1001 next, and the client reconnects no sooner than
    /// <see cref="GoingAwayEventArgs.ReconnectAfter"/> plus a jitter of its own (docs/clients.md, "Signals").</summary>
    public event EventHandler<GoingAwayEventArgs>? GoingAway;

    /// <summary>Raised on the client's connection loop when the server says its source became unreachable (prices may be
    /// stale) or reachable again (docs/clients.md, "Signals"). A server that connects while stale says so right after
    /// hello; a new connection starts live until told otherwise.</summary>
    public event EventHandler<FeedStatusEventArgs>? FeedStatusChanged;

    /// <summary>The last status the server gave on this connection: live unless it said stale.</summary>
    public FeedStatusEventArgs FeedStatus => Volatile.Read(ref _feedStatus);

    /// <summary>The current connection state.</summary>
    public ConnectionState State => (ConnectionState)Volatile.Read(ref _state);

    /// <summary>What the server said in <c>hello</c> on the current (or last) connection.</summary>
    public ServerHello? Server => _server;

    /// <summary>A copy of the symbols subscribed to (they are sent again on every reconnect).</summary>
    public IReadOnlyCollection<string> Subscriptions => [.. _subscriptions];

    /// <summary>Quotes the local buffer discarded because a newer quote of the same symbol arrived before the reader took them.</summary>
    public long QuotesConflated => _buffer.Conflated;

    /// <summary>Quotes ignored because they were not newer than one already delivered (mostly snapshot repeats after a reconnect).</summary>
    public long QuotesIgnoredAsStale => _buffer.Stale;

    /// <summary>Gaps reported through <see cref="GapDetected"/>.</summary>
    public long GapsDetected => Interlocked.Read(ref _gaps);

    /// <summary>When the client's current token expires (its <c>exp</c>, or what the server's <c>auth_result</c> said
    /// after a refresh); null without a token.</summary>
    public DateTimeOffset? TokenExpiresAt => _tokens.ExpiresAt;

    /// <summary>Quotes received and not yet read.</summary>
    public int BufferedQuotes => _buffer.Count;

    /// <summary>Connects and waits for the server's <c>hello</c>. Fails if this first attempt fails; later losses are retried.</summary>
    /// <exception cref="ArgumentException">An option cannot work; the message names it.</exception>
    /// <exception cref="PriceFeedException">The server refused the connection or closed it at once.</exception>
    /// <exception cref="WebSocketException">The server could not be reached.</exception>
    public static async Task<PriceFeedClient> ConnectAsync(PriceFeedClientOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var client = new PriceFeedClient(options);
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, client._stopping.Token);
            var connection = await client.OpenAsync(linked.Token).ConfigureAwait(false);
            client._run = Task.Run(() => client.RunAsync(connection), CancellationToken.None);
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return client;
    }

    /// <inheritdoc cref="SubscribeAsync(IEnumerable{string}, CancellationToken)"/>
    public Task<SubscribeResult> SubscribeAsync(params string[] symbols) => SubscribeAsync(symbols, CancellationToken.None);

    /// <summary>Subscribes to <paramref name="symbols"/> (exact symbols, or <c>*</c> for all) and returns the server's answer.</summary>
    /// <remarks>Accepted symbols are subscribed again on every reconnect. While the client is reconnecting,
    /// the request waits for the next connection (bound the wait with <paramref name="cancellationToken"/>);
    /// if the connection drops before the answer, the request is sent again on the next one.</remarks>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    /// <exception cref="PriceFeedException">The client closed because the server refused it (<see cref="PriceFeedException.IsTransient"/> false).</exception>
    public async Task<SubscribeResult> SubscribeAsync(IEnumerable<string> symbols, CancellationToken cancellationToken = default)
    {
        var request = new Subscribe { ThrottleMs = _options.ThrottleMs };
        request.Symbols.AddRange(ValidSymbols(symbols));
        return await RequestAsync(
            requestId =>
            {
                request.RequestId = requestId;
                return new ClientMessage { Subscribe = request };
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends the request <paramref name="build"/> makes for a fresh request id and returns its
    /// <c>subscribe_result</c>; a request whose connection is lost before the answer is sent again on the next one.</summary>
    private async Task<SubscribeResult> RequestAsync(Func<ulong, ClientMessage> build, CancellationToken cancellationToken)
    {
        while (true)
        {
            var connection = await WaitForConnectionAsync(cancellationToken).ConfigureAwait(false);
            var requestId = (ulong)Interlocked.Increment(ref _nextRequestId);
            var answer = new TaskCompletionSource<SubscribeResult?>(TaskCreationOptions.RunContinuationsAsynchronously);
            _pending[requestId] = answer;
            try
            {
                if (await TrySendAsync(connection, build(requestId), cancellationToken).ConfigureAwait(false)
                    && await answer.Task.WaitAsync(cancellationToken).ConfigureAwait(false) is { } result)
                {
                    return result;
                }
            }
            finally
            {
                _pending.TryRemove(requestId, out _);
            }

            // The connection was lost before the answer: wait until the client has given up on it, then try the next one.
            await connection.Ended.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc cref="UnsubscribeAsync(IEnumerable{string}, CancellationToken)"/>
    public Task UnsubscribeAsync(params string[] symbols) => UnsubscribeAsync(symbols, CancellationToken.None);

    /// <summary>Stops the updates of <paramref name="symbols"/> (<c>*</c>: the wildcard subscription and what it brought).</summary>
    /// <remarks>The server does not answer unsubscribe. The symbols are forgotten at once, so quotes of
    /// theirs still in flight are not yielded and the next reconnect does not subscribe them again.</remarks>
    public async Task UnsubscribeAsync(IEnumerable<string> symbols, CancellationToken cancellationToken = default)
    {
        var request = new Unsubscribe();
        request.Symbols.AddRange(ValidSymbols(symbols));
        lock (_subscriptionsLock)
        {
            var remaining = new HashSet<string>(_subscriptions, StringComparer.Ordinal);
            remaining.ExceptWith(request.Symbols);
            _subscriptions = remaining;
        }

        // Disconnected: nothing to tell the server, the next connection simply will not subscribe them.
        if (_connected.Task is { IsCompletedSuccessfully: true } connected)
        {
            await TrySendAsync(connected.Result, new ClientMessage { Unsubscribe = request }, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The quotes of every subscribed symbol, in arrival order, each symbol's seq strictly increasing.</summary>
    /// <remarks>Ends when the client is disposed, after the quotes already received; throws the cause when
    /// the client closed because the server refused it. One enumeration at a time.</remarks>
    /// <exception cref="InvalidOperationException">Another enumeration is running.</exception>
    public async IAsyncEnumerable<Quote> ReadQuotesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _reading, 1) != 0)
        {
            throw new InvalidOperationException($"{nameof(ReadQuotesAsync)} is already being enumerated; the client has one reader at a time.");
        }

        try
        {
            while (await _buffer.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (_buffer.TryRead(out var quote))
                {
                    if (_lastYieldedSeq.TryGetValue(quote.Symbol, out var last) && quote.Seq > last + 1)
                    {
                        Interlocked.Increment(ref _gaps);
                        GapDetected?.Invoke(this, new GapDetectedEventArgs(quote.Symbol, last, quote.Seq));
                    }

                    _lastYieldedSeq[quote.Symbol] = quote.Seq;
                    yield return quote;
                }
            }
        }
        finally
        {
            Volatile.Write(ref _reading, 0);
        }
    }

    /// <summary>Closes the connection (a normal close handshake), stops reconnecting and ends <see cref="ReadQuotesAsync"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Stops backoff waits and connection attempts, and starts the close handshake of the open connection.
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _run.ConfigureAwait(false);
        Close(null);
        _stopping.Dispose();
    }

    private static TaskCompletionSource<FeedConnection> NewConnectedSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static List<string> ValidSymbols(IEnumerable<string> symbols)
    {
        ArgumentNullException.ThrowIfNull(symbols);
        var list = symbols.ToList();
        if (list.Count == 0 || list.Exists(string.IsNullOrEmpty))
        {
            throw new ArgumentException("Give at least one symbol, none of them empty.", nameof(symbols));
        }

        return list;
    }

    private static Quote ToQuote(Protocol.V1.Quote quote) => new()
    {
        Symbol = quote.Symbol,
        Seq = quote.Seq,
        SourceTimeNs = quote.SourceTimeNs,
        PublishTimeNs = quote.PublishTimeNs,
        Bid = quote.Bid,
        Ask = quote.Ask,
        BidSize = quote.BidSize,
        AskSize = quote.AskSize,
        Last = quote.Last,
        LastSize = quote.LastSize,
        Volume = quote.Volume,
    };

    private static ServerHello ToServerHello(Hello hello)
    {
        // A server that announces no interval gets the server's default (15 s) rather than no dead-connection check.
        var heartbeatMs = hello.HeartbeatIntervalMs > 0 ? hello.HeartbeatIntervalMs : 15_000;
        return new ServerHello(hello.ServerId, hello.Protocol, TimeSpan.FromMilliseconds(heartbeatMs),
            (int)hello.MaxSymbolsPerClient, hello.SlowConsumerPolicy)
        {
            Epoch = hello.Epoch,
            ResumeDepth = (int)Math.Min(hello.ResumeDepth, int.MaxValue),
        };
    }

    private static SubscribeResult ToResult(Protocol.V1.SubscribeResult result) => new(
        result.RequestId,
        [.. result.Accepted],
        [.. result.Rejected.Select(r => new SymbolRejection(r.Symbol, r.Reason))]);

    private async Task<FeedConnection> WaitForConnectionAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return await _connected.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends on <paramref name="connection"/>; false when it is dead (the connection loop will notice and replace it).</summary>
    private static async Task<bool> TrySendAsync(FeedConnection connection, ClientMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await connection.SendAsync(message, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }

    /// <summary>Opens a connection, waits for <c>hello</c>, and sends every subscription again.</summary>
    private async Task<FeedConnection> OpenAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ConnectTimeout);
        FeedConnection? connection = null;
        try
        {
            // The latest token: one that ran out while the client was away is refreshed first.
            await _tokens.EnsureFreshAsync(timeout.Token).ConfigureAwait(false);
            connection = await FeedConnection.OpenAsync(_options, _codec, _tokens.Token, timeout.Token).ConfigureAwait(false);
            // docs/protocol.md, "The conversation": the server sends hello first.
            var first = await connection.ReceiveAsync(timeout.Token).ConfigureAwait(false);
            if (first is null)
            {
                throw connection.DescribeClose(lastError: null);
            }

            if (first.BodyCase != ServerMessage.BodyOneofCase.Hello)
            {
                throw new PriceFeedException($"The server's first message was {first.BodyCase}, not hello.") { IsTransient = false };
            }

            var hello = first.Hello;
            _server = ToServerHello(hello);
            // A new connection is live until its server says stale (it does so right after hello).
            if (!Volatile.Read(ref _feedStatus).Live)
            {
                var live = new FeedStatusEventArgs(live: true, string.Empty, DateTimeOffset.UtcNow);
                Volatile.Write(ref _feedStatus, live);
                FeedStatusChanged?.Invoke(this, live);
            }

            var subscriptions = _subscriptions;
            var held = HeldSeqs(subscriptions);
            var remembered = _epoch;
            var epochChanged = StartEpoch(hello.Epoch);
            if (subscriptions.Count > 0)
            {
                // A request id of its own, never a caller's: its answer says which held symbols were recovered.
                var resubscribe = new Subscribe
                {
                    RequestId = (ulong)Interlocked.Increment(ref _nextRequestId),
                    ThrottleMs = _options.ThrottleMs,
                };
                resubscribe.Symbols.AddRange(subscriptions);
                // docs/clients.md, "Resume": only seqs of the server's own epoch, and only from a server that keeps history.
                if (_options.ResumeOnReconnect && held.Count > 0 && remembered.Length > 0 && hello.Epoch == remembered && hello.ResumeDepth > 0)
                {
                    resubscribe.Resume.Add(held);
                    resubscribe.Epoch = remembered;
                }

                _pendingResume = held.Count > 0 ? new PendingResume(resubscribe.RequestId, epochChanged, [.. held.Keys]) : null;
                connection.ResubscribeRequestId = resubscribe.RequestId;
                await connection.SendAsync(new ClientMessage { Subscribe = resubscribe }, timeout.Token).ConfigureAwait(false);
            }
            else
            {
                connection.Settled = true;
            }

            await ResubscribeBarsAsync(connection, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            connection?.Dispose();
            throw new PriceFeedException($"No hello within {nameof(PriceFeedClientOptions.ConnectTimeout)} ({_options.ConnectTimeout}).", ex);
        }
        catch
        {
            connection?.Dispose();
            throw;
        }

        SetState(ConnectionState.Connected, attempt: 0, retryDelay: null, cause: null);
        _connected.TrySetResult(connection);
        return connection;
    }

    /// <summary>The connection loop: serve a connection until it ends, then back off and open the next, until disposed or refused.</summary>
    private async Task RunAsync(FeedConnection connection)
    {
        var attempt = 0;
        try
        {
            while (true)
            {
                var cause = await ServeAsync(connection).ConfigureAwait(false);
                // Answer the callers waiting on this connection only after they can see it is gone.
                _connected = NewConnectedSource();
                foreach (var pending in _pending.Values)
                {
                    pending.TrySetResult(null);
                }

                // Their answers will never come; a caller's request is sent again with a new id.
                _barRequests.Clear();
                connection.Dispose();
                if (_stopping.IsCancellationRequested)
                {
                    return;
                }

                if (!cause.IsTransient)
                {
                    Close(cause);
                    return;
                }

                // A connection that got back to normal (hello and its snapshot) was a success: start the backoff over.
                // One that the server closed before that (full, overloaded, restarting again) keeps growing it.
                if (connection.Settled)
                {
                    attempt = 0;
                }

                // A server that went away said when to come back: no sooner, plus a jitter of our own.
                var goAway = connection.GoAwayAfter;
                while (true)
                {
                    attempt++;
                    var delay = ReconnectBackoff.Delay(attempt, _options.ReconnectDelay, _options.MaxReconnectDelay);
                    if (goAway is { } after)
                    {
                        delay = ReconnectBackoff.AfterGoAway(after, delay, _options.ReconnectDelay);
                        goAway = null;
                    }

                    SetState(ConnectionState.Reconnecting, attempt, delay, cause);
                    await Task.Delay(delay, _stopping.Token).ConfigureAwait(false);
                    try
                    {
                        connection = await OpenAsync(_stopping.Token).ConfigureAwait(false);
                        break;
                    }
                    catch (PriceFeedException ex) when (ex.IsTransient)
                    {
                        cause = ex;
                    }
                    catch (WebSocketException ex)
                    {
                        cause = new PriceFeedException($"Cannot connect to {_options.Url}: {ex.Message}", ex);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Disposed while waiting or connecting.
        }
        catch (Exception ex)
        {
            // A refusal that would repeat, or an exception from a StateChanged handler: the client closes with it.
            Close(ex);
        }
    }

    /// <summary>Receives and dispatches messages until the connection ends; returns why it ended.</summary>
    private async Task<PriceFeedException> ServeAsync(FeedConnection connection)
    {
        using var watchdogStop = new CancellationTokenSource();
        var interval = _server!.HeartbeatInterval;
        var watchdog = WatchAsync(connection, interval, watchdogStop.Token);
        var refresh = _tokens.RunAsync(
            (token, cancellationToken) => TrySendAsync(connection, new ClientMessage { Auth = new Auth { Token = token } }, cancellationToken),
            watchdogStop.Token);
        // Dispose starts the close handshake; the server's answering close then ends the receive below.
        using var closeOnStop = _stopping.Token.Register(static state => ((FeedConnection)state!).BeginClose(), connection);
        string? lastError = null;
        try
        {
            while (true)
            {
                var message = await connection.ReceiveAsync(CancellationToken.None).ConfigureAwait(false);
                if (message is null)
                {
                    return connection.DescribeClose(lastError);
                }

                switch (message.BodyCase)
                {
                    case ServerMessage.BodyOneofCase.Quotes:
                        // Live quotes flow: also settled when no snapshot came (no subscribed symbol had a quote yet).
                        connection.Settled |= connection.ResubscribeAnswered;
                        Accept(message.Quotes);
                        break;
                    case ServerMessage.BodyOneofCase.Snapshot:
                        connection.Settled = true;
                        Accept(message.Snapshot);
                        break;
                    case ServerMessage.BodyOneofCase.SubscribeResult:
                        // Settled with the snapshot that follows, or here when every symbol was recovered (no snapshot comes).
                        if (message.SubscribeResult.RequestId == connection.ResubscribeRequestId)
                        {
                            connection.ResubscribeAnswered = true;
                            connection.Settled |= message.SubscribeResult.Recovered.Count == message.SubscribeResult.Accepted.Count;
                        }

                        OnSubscribeResult(message.SubscribeResult);
                        break;
                    case ServerMessage.BodyOneofCase.Bars:
                        Accept(message.Bars);
                        break;
                    case ServerMessage.BodyOneofCase.Status:
                        var status = new FeedStatusEventArgs(
                            message.Status.State != "stale", message.Status.Reason, DateTimeOffset.UnixEpoch.AddTicks(message.Status.SinceNs / 100));
                        Volatile.Write(ref _feedStatus, status);
                        FeedStatusChanged?.Invoke(this, status);
                        break;
                    case ServerMessage.BodyOneofCase.GoAway:
                        // docs/clients.md, "Signals": the 1001 follows; the next connection waits at least this long.
                        connection.GoAwayAfter = TimeSpan.FromMilliseconds(message.GoAway.ReconnectAfterMs);
                        GoingAway?.Invoke(this, new GoingAwayEventArgs(connection.GoAwayAfter.Value, message.GoAway.Reason));
                        break;
                    case ServerMessage.BodyOneofCase.Error when message.Error.Code == 0:
                        // A refusal with no close (docs/protocol.md, "Error"): auth on a server that takes no tokens.
                        break;
                    case ServerMessage.BodyOneofCase.Error:
                        // The server sends error just before it closes; keep it for the close's description.
                        lastError = $"{message.Error.Code} {message.Error.Message}";
                        break;
                    case ServerMessage.BodyOneofCase.Hello:
                        OnHelloAgain(message.Hello);
                        break;
                    case ServerMessage.BodyOneofCase.SlowConsumer:
                        var warning = message.SlowConsumer;
                        SlowConsumerWarning?.Invoke(
                            this, new SlowConsumerEventArgs(warning.Queued, warning.Limit, TimeSpan.FromMilliseconds(warning.CloseInMs), warning.Cleared));
                        break;
                    case ServerMessage.BodyOneofCase.AuthResult:
                        // docs/clients.md, "Token refresh": the server took the new token; its exp is the next deadline.
                        _tokens.Confirmed(message.AuthResult.ExpiresAtNs);
                        break;
                    case ServerMessage.BodyOneofCase.Pong:
                    default:
                        // A pong only proves the server is alive, which receiving it already recorded.
                        break;
                }
            }
        }
        catch (PriceFeedException ex)
        {
            return ex;
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            var silentMs = Environment.TickCount64 - connection.LastReceivedTicks;
            return silentMs > interval.TotalMilliseconds * DeadAfterHeartbeats
                ? new PriceFeedException($"No frame from the server for {silentMs} ms (heartbeat interval {interval.TotalMilliseconds} ms): connection presumed dead.", ex)
                : new PriceFeedException($"The connection was lost: {ex.Message}", ex);
        }
        finally
        {
            await watchdogStop.CancelAsync().ConfigureAwait(false);
            await watchdog.ConfigureAwait(false);
            await refresh.ConfigureAwait(false);
        }
    }

    /// <summary>Pings every half interval and aborts the connection once it has been silent for <see cref="DeadAfterHeartbeats"/> intervals.</summary>
    private static async Task WatchAsync(FeedConnection connection, TimeSpan interval, CancellationToken cancellationToken)
    {
        var deadMs = interval.TotalMilliseconds * DeadAfterHeartbeats;
        using var timer = new PeriodicTimer(interval / 2);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                if (Environment.TickCount64 - connection.LastReceivedTicks > deadMs)
                {
                    // A frozen server or a half-open TCP connection never fails the receive by itself.
                    connection.Abort();
                    return;
                }

                var ping = new ClientMessage { Ping = new Ping { ClientTimeNs = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100 } };
                await TrySendAsync(connection, ping, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The connection ended.
        }
    }

    private void Accept(QuoteBatch batch)
    {
        var subscriptions = _subscriptions;
        var all = subscriptions.Contains(Wildcard);
        foreach (var quote in batch.Quotes)
        {
            // Quotes of a symbol unsubscribed a moment ago may still be in flight: drop them.
            if (all || subscriptions.Contains(quote.Symbol))
            {
                _buffer.TryWrite(ToQuote(quote));
            }
        }
    }

    private void OnSubscribeResult(Protocol.V1.SubscribeResult result)
    {
        if (_barRequests.TryRemove(result.RequestId, out var barTerms))
        {
            // A subscribe_bars answer: its symbols are bar series, not quote subscriptions.
            OnBarsSubscribed(result, barTerms);
            return;
        }

        // Before the snapshot that follows is dispatched, so that its quotes pass the subscription filter.
        if (result.Accepted.Count > 0)
        {
            lock (_subscriptionsLock)
            {
                var updated = new HashSet<string>(_subscriptions, StringComparer.Ordinal);
                updated.UnionWith(result.Accepted);
                _subscriptions = updated;
            }
        }

        if (result.RequestId == 0 && result.Rejected.Count > 0)
        {
            // docs/protocol.md, "Token refresh": symbols a refreshed token no longer covers were dropped by the server;
            // they are not sent again on a reconnect.
            lock (_subscriptionsLock)
            {
                var updated = new HashSet<string>(_subscriptions, StringComparer.Ordinal);
                updated.ExceptWith(result.Rejected.Select(rejection => rejection.Symbol));
                _subscriptions = updated;
            }

            // Their bars stopped too (docs/protocol.md, "Bars").
            DropBarSeriesOf(result.Rejected.Select(rejection => rejection.Symbol));
        }

        Answer(result);
        if (_pendingResume is { } resume && resume.RequestId == result.RequestId)
        {
            _pendingResume = null;
            var recovered = new HashSet<string>(result.Recovered, StringComparer.Ordinal);
            Resumed?.Invoke(this, new ResumedEventArgs(_epoch, resume.EpochChanged,
                [.. resume.Held.Where(recovered.Contains)], [.. resume.Held.Where(s => !recovered.Contains(s))]));
        }
    }

    /// <summary>Completes the caller's request that <paramref name="result"/> answers, if a caller waits for it.</summary>
    private void Answer(Protocol.V1.SubscribeResult result)
    {
        if (_pending.TryGetValue(result.RequestId, out var answer))
        {
            answer.TrySetResult(ToResult(result));
        }
    }

    /// <summary>A <c>hello</c> on an open connection: the server's source started a new epoch (docs/clients.md, "Resume");
    /// a snapshot of every subscribed symbol follows.</summary>
    private void OnHelloAgain(Hello hello)
    {
        var held = HeldSeqs(_subscriptions);
        _server = ToServerHello(hello);
        if (StartEpoch(hello.Epoch) && held.Count > 0)
        {
            Resumed?.Invoke(this, new ResumedEventArgs(_epoch, epochChanged: true, [], [.. held.Keys]));
        }
    }

    /// <summary>Remembers <paramref name="epoch"/> as the one the seqs to come belong to; when it replaces a different named
    /// epoch, the source's seqs started again, so the seq guard starts again too (true).</summary>
    /// <remarks>An empty epoch on either side is no change: a server that names none cannot say its seqs restarted.</remarks>
    private bool StartEpoch(string epoch)
    {
        var changed = _epoch.Length > 0 && epoch.Length > 0 && epoch != _epoch;
        if (changed)
        {
            _buffer.ForgetSeqs();
        }

        _epoch = epoch;
        return changed;
    }

    /// <summary>The last seq accepted of every subscribed symbol the client holds a quote of.</summary>
    private Dictionary<string, ulong> HeldSeqs(HashSet<string> subscriptions)
    {
        var held = _buffer.LastAcceptedSeqs();
        if (!subscriptions.Contains(Wildcard))
        {
            // An unsubscribed symbol's seq stays in the guard, but it is not asked for again.
            foreach (var symbol in held.Keys.Where(s => !subscriptions.Contains(s)).ToList())
            {
                held.Remove(symbol);
            }
        }

        return held;
    }

    private void SetState(ConnectionState state, int attempt, TimeSpan? retryDelay, Exception? cause)
    {
        Volatile.Write(ref _state, (int)state);
        StateChanged?.Invoke(this, new ConnectionStateChangedEventArgs(state, attempt, retryDelay, cause));
    }

    /// <summary>Final: no more connections, the reader ends (with <paramref name="cause"/> if not null), waiting callers fail.</summary>
    private void Close(Exception? cause)
    {
        if (State == ConnectionState.Closed)
        {
            return;
        }

        _buffer.Complete(cause);
        _bars.Complete(cause);
        var closed = cause ?? new ObjectDisposedException(nameof(PriceFeedClient));
        // Callers that wait for a connection from now on fail at once, and so do those already waiting.
        var failed = NewConnectedSource();
        failed.SetException(closed);
        var previous = _connected;
        _connected = failed;
        previous.TrySetException(closed);
        foreach (var pending in _pending.Values)
        {
            pending.TrySetException(closed);
        }

        SetState(ConnectionState.Closed, attempt: 0, retryDelay: null, cause);
    }

    /// <summary>The re-subscribe of a reconnect, until its answer says which of the held symbols were recovered.</summary>
    private sealed record PendingResume(ulong RequestId, bool EpochChanged, IReadOnlyList<string> Held);
}
