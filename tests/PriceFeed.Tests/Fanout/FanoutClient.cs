using System.Diagnostics;
using System.Reflection;
using System.Text;
using DotNetty.Common.Utilities;
using DotNetty.Transport.Channels;
using DotNetty.Transport.Channels.Embedded;
using Google.Protobuf;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Codecs.WebSockets;
using PriceFeed.Server.Fanout;
using PriceFeed.Server.Security;
using PriceFeed.Server.Session;
using PriceFeed.Tests.Codecs;

namespace PriceFeed.Tests.Fanout;

/// <summary>One client of a <see cref="FanoutHarness"/>: a real <see cref="ClientSession"/> on an embedded channel, and what it received.</summary>
/// <remarks>
/// <para>The channel's pipeline holds one handler that does what the server's session handler does
/// for the fan-out: a channel that becomes writable again drains the session. Frames are read as
/// the server wrote them (before the WebSocket encoder) and parsed as <c>ServerMessage</c>s.</para>
/// <para>Every quote read is checked against the contract as it arrives: per symbol, seq strictly
/// increases, and no live update comes before its symbol was subscribed.</para>
/// </remarks>
internal sealed class FanoutClient : IDisposable
{
    private static readonly JsonParser s_jsonParser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));

    private readonly FanoutHarness _harness;
    private readonly ClientProtocol _protocol;
    private readonly Dictionary<string, ulong> _lastSeq = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<ulong>> _received = new(StringComparer.Ordinal);
    private ulong _requestId;

    public FanoutClient(FanoutHarness harness, bool json, Entitlements? entitlements)
    {
        _harness = harness;
        _protocol = json ? ClientProtocol.Json : ClientProtocol.Proto;
        var anchor = new WritabilityDrainHandler(this);
        Channel = new EmbeddedChannel(anchor);
        Session = new ClientSession(
            Channel.Pipeline.Context(anchor), harness.Context, json ? harness.JsonFrames : harness.ProtobufFrames, entitlements);
        // As the server's session handler: the hello at connect says the current epoch, and a change of epoch sends another.
        Session.HelloEpoch = harness.SourceEpoch.Current;
        HelloEpochNumber = harness.EpochNumber;
        // Control messages go straight to the channel, ahead of queued quotes, as the session handler's Send does.
        Session.SendControl = message => Channel.WriteAndFlushAsync(_protocol.Encode(message, Channel.Allocator));
        Session.EpochChangedHello = () =>
        {
            Session.HelloEpoch = harness.SourceEpoch.Current;
            Channel.WriteAndFlushAsync(_protocol.Encode(
                new ServerMessage { Hello = new Hello { Epoch = harness.SourceEpoch.Current } }, Channel.Allocator));
        };
    }

    /// <summary>The <see cref="FanoutHarness.EpochNumber"/> of the last hello this client read (the one at connect included).</summary>
    public int HelloEpochNumber { get; private set; }

    /// <summary>The hellos read after the one at connect: each says a change of epoch.</summary>
    public List<string> EpochHellos { get; } = [];

    public EmbeddedChannel Channel { get; }

    public ClientSession Session { get; }

    /// <summary>Every message read so far, in order.</summary>
    public List<ServerMessage> Messages { get; } = [];

    /// <summary>The last seq received per symbol, from snapshots and live updates.</summary>
    public IReadOnlyDictionary<string, ulong> LastSeq => _lastSeq;

    /// <summary>Contract breaks seen so far (seq not increasing), as sentences; empty when all is well.</summary>
    public List<string> Violations { get; } = [];

    /// <summary>Quotes received live (in <c>quotes</c> messages) so far.</summary>
    public int LiveQuotes { get; private set; }

    /// <summary>Text frames read so far (the JSON subprotocol's).</summary>
    public int TextFrames { get; private set; }

    /// <summary>Binary frames read so far (the protobuf subprotocol's).</summary>
    public int BinaryFrames { get; private set; }

    /// <summary>Tasks queued on the channel's event loop and not run yet: the drains scheduled since the last run.</summary>
    /// <remarks>DotNetty 0.7.6's embedded event loop has no public count, so this reads its private queue.</remarks>
    public int PendingTasks
    {
        get
        {
            var tasks = Channel.EventLoop.GetType().GetField("tasks", BindingFlags.NonPublic | BindingFlags.Instance)
                ?? throw new InvalidOperationException("EmbeddedEventLoop has no 'tasks' field: DotNetty changed; count drains another way.");
            return ((System.Collections.ICollection)tasks.GetValue(Channel.EventLoop)!).Count;
        }
    }

    /// <summary>Parses a frame the server wrote as the client would: text as proto3 JSON, binary as protobuf.</summary>
    public static ServerMessage Parse(WebSocketFrame frame) =>
        frame.Opcode == WebSocketOpcode.Text
            ? s_jsonParser.Parse<ServerMessage>(frame.Content.ToString(Encoding.UTF8))
            : ServerMessage.Parser.ParseFrom(frame.Content.ReadableToArray());

    /// <summary>Subscribes as the server does: the service's answer, written to the channel, then the snapshot.</summary>
    public SubscribeResult Subscribe(uint throttleMs = 0, bool skipSnapshot = false, params string[] symbols)
    {
        var request = new Subscribe { RequestId = ++_requestId, ThrottleMs = throttleMs, SkipSnapshot = skipSnapshot };
        request.Symbols.Add(symbols);
        var snapshot = new List<SymbolSubscription>();
        var result = _harness.Service.Subscribe(Session, request, snapshot);
        Channel.WriteAndFlushAsync(_protocol.Encode(new ServerMessage { SubscribeResult = result }, Channel.Allocator));
        if (!skipSnapshot)
        {
            Session.WriteSnapshot(snapshot);
        }

        return result;
    }

    /// <summary>
    /// Subscribes with <c>resume</c> as the server's subscribe use case does (FeedSessionHandler.OnSubscribe): the
    /// registry change, the history read, <c>subscribe_result</c>, the snapshot of what was not recovered, the replay.
    /// </summary>
    /// <param name="afterRegistry">Runs between the registry change and the history read (a seam where live quotes may land).</param>
    /// <param name="beforeReplay">Runs between the history read and the replay's write (another such seam).</param>
    public SubscribeResult Resume(
        IDictionary<string, ulong> resume,
        string epoch = FanoutHarness.Epoch,
        uint throttleMs = 0,
        Action? afterRegistry = null,
        Action? beforeReplay = null,
        params string[] symbols)
    {
        var request = new Subscribe { RequestId = ++_requestId, ThrottleMs = throttleMs, Epoch = epoch };
        request.Symbols.Add(symbols);
        request.Resume.Add(resume);
        var snapshot = new List<SymbolSubscription>();
        var result = _harness.Service.Subscribe(Session, request, snapshot);
        afterRegistry?.Invoke();
        var replays = _harness.Service.Resume(Session, request, _harness.SourceEpoch.Current, snapshot, result);
        beforeReplay?.Invoke();
        Channel.WriteAndFlushAsync(_protocol.Encode(new ServerMessage { SubscribeResult = result }, Channel.Allocator));
        Session.WriteSnapshot(snapshot);
        Session.WriteReplays(replays);
        return result;
    }

    /// <summary>Every seq received per symbol, snapshot and quotes, in arrival order.</summary>
    public IReadOnlyDictionary<string, List<ulong>> Received => _received;

    /// <summary>Subscribes to <paramref name="symbols"/> with no throttle and a snapshot.</summary>
    public SubscribeResult Subscribe(params string[] symbols) => Subscribe(0, false, symbols);

    public void Unsubscribe(params string[] symbols)
    {
        var request = new Unsubscribe { RequestId = ++_requestId };
        request.Symbols.Add(symbols);
        _harness.Service.Unsubscribe(Session, request);
    }

    /// <summary>Runs the drains (and due timers) scheduled on this client's event loop.</summary>
    public void RunPendingTasks() => Channel.RunPendingTasks();

    /// <summary>Makes the channel unwritable or writable again, as a full or emptied socket buffer does.</summary>
    /// <remarks>Uses a user-defined writability bit, so DotNetty fires the writability change as for the water marks.</remarks>
    public void SetWritable(bool writable) => Channel.Unsafe.OutboundBuffer.SetUserDefinedWritability(1, writable);

    /// <summary>Reads and parses every frame written since the last read; returns the new messages.</summary>
    public List<ServerMessage> Read()
    {
        var read = new List<ServerMessage>();
        while (Channel.ReadOutbound<object>() is { } written)
        {
            try
            {
                if (written is CloseWebSocketFrame)
                {
                    continue;
                }

                var frame = (WebSocketFrame)written;
                if (frame.Opcode == WebSocketOpcode.Text)
                {
                    TextFrames++;
                }
                else
                {
                    BinaryFrames++;
                }

                var message = Parse(frame);
                Track(message);
                read.Add(message);
            }
            finally
            {
                ReferenceCountUtil.Release(written);
            }
        }

        Messages.AddRange(read);
        return read;
    }

    /// <summary>Releases everything written so far without reading it (for tests that only count).</summary>
    public void DiscardOutbound()
    {
        while (Channel.ReadOutbound<object>() is { } written)
        {
            ReferenceCountUtil.Release(written);
        }
    }

    /// <summary>Runs pending drains and reads, until nothing more comes.</summary>
    public List<ServerMessage> DrainAndRead()
    {
        var all = new List<ServerMessage>();
        while (true)
        {
            RunPendingTasks();
            var read = Read();
            if (read.Count == 0)
            {
                return all;
            }

            all.AddRange(read);
        }
    }

    /// <summary>Runs due drains and timers and reads, until <paramref name="condition"/> holds; fails naming <paramref name="what"/> after 5 s.</summary>
    public void DrainUntil(Func<bool> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            DrainAndRead();
            if (condition())
            {
                return;
            }

            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(5), $"Timed out waiting until {what}.");
            Thread.Sleep(1);
        }
    }

    public void Dispose()
    {
        _harness.Service.Closed(Session);
        DiscardOutbound();

        Channel.CloseAsync().GetAwaiter().GetResult();
    }

    private void Track(ServerMessage message)
    {
        if (message.BodyCase == ServerMessage.BodyOneofCase.Hello)
        {
            // A new epoch: seqs start again, so the guard does (docs/protocol.md, "Epoch"). Epochs are numbered in the
            // order the harness started them; a client may skip one that came and went between two of its drains.
            EpochHellos.Add(message.Hello.Epoch);
            var number = FanoutHarness.EpochNumberOf(message.Hello.Epoch);
            if (number <= HelloEpochNumber)
            {
                Violations.Add($"hello of epoch {message.Hello.Epoch} (#{number}) after #{HelloEpochNumber}");
            }

            HelloEpochNumber = number;
            _lastSeq.Clear();
            return;
        }

        var quotes = message.BodyCase switch
        {
            ServerMessage.BodyOneofCase.Snapshot => message.Snapshot.Quotes,
            ServerMessage.BodyOneofCase.Quotes => message.Quotes.Quotes,
            _ => null,
        };
        if (quotes is null)
        {
            return;
        }

        foreach (var quote in quotes)
        {
            if (!_received.TryGetValue(quote.Symbol, out var seqs))
            {
                _received[quote.Symbol] = seqs = [];
            }

            seqs.Add(quote.Seq);
            var epoch = (int)quote.BidSize - 100;
            if (epoch != HelloEpochNumber)
            {
                Violations.Add($"{quote.Symbol} seq {quote.Seq} of epoch #{epoch} after the hello of #{HelloEpochNumber}");
            }

            var last = _lastSeq.GetValueOrDefault(quote.Symbol);
            if (quote.Seq <= last)
            {
                Violations.Add($"{quote.Symbol}: seq {quote.Seq} after {last}");
            }

            _lastSeq[quote.Symbol] = Math.Max(last, quote.Seq);
            if (message.BodyCase == ServerMessage.BodyOneofCase.Quotes)
            {
                LiveQuotes++;
            }
        }
    }

    /// <summary>What the server's session handler does for the fan-out: drain again once the channel is writable.</summary>
    private sealed class WritabilityDrainHandler(FanoutClient client) : ChannelHandlerAdapter
    {
        public override void ChannelWritabilityChanged(IChannelHandlerContext context)
        {
            if (context.Channel.IsWritable)
            {
                client.Session.Drain();
            }

            context.FireChannelWritabilityChanged();
        }
    }
}
