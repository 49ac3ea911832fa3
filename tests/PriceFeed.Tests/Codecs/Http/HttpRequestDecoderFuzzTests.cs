using System.Text;
using CsCheck;
using DotNetty.Buffers;
using DotNetty.Transport.Channels;
using DotNetty.Transport.Channels.Embedded;
using PriceFeed.Server.Codecs.Http;
using PriceFeed.Server.Session;
using PriceFeed.Tests.Codecs.Fuzzing;
using Xunit.Abstractions;

namespace PriceFeed.Tests.Codecs.Http;

/// <summary>Property-based fuzzing of <see cref="HttpRequestDecoder"/>: arbitrary and mutated requests, cut into
/// arbitrary reads, never throw out of the pipeline, never make it hold more than its limits, and always end in
/// requests, one error response with Connection: close, or a wait for more input.</summary>
/// <remarks>Small limits, so mutations reach them; the short run and the long one are described in <see cref="FuzzRun"/>.</remarks>
public sealed class HttpRequestDecoderFuzzTests
{
    private static readonly HttpDecoderOptions s_limits = new(MaxRequestLineBytes: 256, MaxHeaderBytes: 1024, MaxHeaderCount: 12);

    /// <summary>The statuses the decoder answers errors with (its remarks).</summary>
    private static readonly int[] s_errorStatuses = [400, 413, 414, 431, 505];

    private static readonly (string Text, int Requests)[] s_validInputs =
    [
        ("GET /ws?token=eyJhbGciOiJIUzI1NiJ9.e30.sig HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: https://dash.example.com\r\n"
            + "Authorization: Bearer abc.def.ghi\r\n\r\n", 1),
        ("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\nHEAD /metrics HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 2),
        ("\r\nGET http://a/api/symbols?x=%20y HTTP/1.0\r\nContent-Length: 0\r\n\r\n", 1),
        ("POST / HTTP/1.1\r\nHost: a\r\nX-Empty:\r\nX-Tab:\tv\t\r\n\r\n", 1),
    ];

    private static readonly byte[][] s_dictionary = ByteStreams.Tokens(
        "\r\n", "\r\n\r\n", "\n", "\r", ":", " ", "\t", "\0", "\x7f", "\xff", "%", "%ZZ", "?", "#", "*",
        "GET ", "HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/1.", "Host: a\r\n", "Host:\r\n",
        "Content-Length: 5\r\n", "Content-Length: 0, 1\r\n", "Content-Length: -1\r\n", "Content-Length: 99999999999999999999\r\n",
        "Transfer-Encoding: chunked\r\n", " folded\r\n", "X:" + new string('v', 300) + "\r\n", new string('A', 260), new string('B', 1100));

    private readonly ITestOutputHelper _output;

    public HttpRequestDecoderFuzzTests(ITestOutputHelper output) => _output = output;

    /// <summary>An input: valid requests (with how many they are), mutations of them, or noise.</summary>
    private static Gen<(byte[] Bytes, int? Requests)> Inputs
    {
        get
        {
            var valid = Gen.OneOf(s_validInputs).Select(v => (Encoding.Latin1.GetBytes(v.Text), (int?)v.Requests));
            var mutated =
                from v in Gen.OneOf(s_validInputs)
                from mutations in ByteStreams.Mutations(s_dictionary).Array[1, 6]
                select (ByteStreams.Apply(Encoding.Latin1.GetBytes(v.Text), mutations), (int?)null);
            var noise = Gen.Byte.Array[0, 1500].Select(b => (b, (int?)null));
            return Gen.Frequency((1, valid), (6, mutated), (1, noise));
        }
    }

    [Fact]
    public void FuzzedRequestsEndInRequestsOneErrorResponseOrAWait()
    {
        var outcomes = new FuzzOutcomes();
        Gen.Select(Inputs, ByteStreams.CutPoints, Gen.Bool)
            .Sample(
                (input, cuts, suspend) => outcomes.Add(Check(input.Bytes, input.Requests, cuts, suspend)),
                _output.WriteLine,
                seed: FuzzRun.Seed,
                iter: FuzzRun.Iterations,
                threads: FuzzRun.Threads,
                print: t => $"{Convert.ToHexString(t.Item1.Bytes)} cuts [{string.Join(",", t.Item2)}] suspend {t.Item3}");
        _output.WriteLine(outcomes.ToString());
    }

    /// <summary>Feeds <paramref name="bytes"/> in the reads given by <paramref name="cuts"/> and checks every property.</summary>
    /// <param name="suspend">Whether the handler after the decoder suspends it on the first request, as the router does
    /// while a token is checked.</param>
    /// <returns>How it ended: "requests", the error status, or a wait.</returns>
    private static string Check(byte[] bytes, int? expectedRequests, int[] cuts, bool suspend)
    {
        var errors = new List<int>();
        var decoder = new HttpRequestDecoder(s_limits with { OnError = errors.Add });
        var sink = new RequestSink(decoder, suspend);
        var channel = new EmbeddedChannel(decoder, sink);
        var bound = suspend
            ? s_limits.MaxRequestLineBytes + s_limits.MaxHeaderBytes
            : Math.Max(s_limits.MaxRequestLineBytes, s_limits.MaxHeaderBytes);

        foreach (var read in ByteStreams.Split(bytes, cuts))
        {
            // A closed socket delivers nothing more.
            if (!channel.Open)
            {
                break;
            }

            // EmbeddedChannel rethrows anything that reached the end of the pipeline: nothing may.
            channel.WriteInbound(Unpooled.WrappedBuffer(read));
            if (channel.Open)
            {
                Assert.True(decoder.BufferedBytes <= bound, $"holds {decoder.BufferedBytes} bytes, over {bound}");
            }
        }

        channel.RunPendingTasks();
        var response = channel.ReadAllOutboundText();
        Assert.True(errors.Count <= 1, $"answered {errors.Count} errors");
        if (errors.Count == 0)
        {
            // No error: requests came out in order, the decoder waits for more (or, suspended and flooded, hung up).
            Assert.Empty(response);
            Assert.True(channel.Open || (sink.Suspended && bytes.Length > bound), "closed without an answer");
        }
        else
        {
            var status = errors[0];
            Assert.Contains(status, s_errorStatuses);
            Assert.StartsWith($"HTTP/1.1 {status} {HttpResponses.ReasonPhrase(status)}\r\n", response, StringComparison.Ordinal);
            Assert.Contains("\r\nConnection: close\r\n", response, StringComparison.Ordinal);
            Assert.False(channel.Open, "an error answer closes the connection");
        }

        if (expectedRequests is { } expected && !suspend)
        {
            Assert.Equal(expected, sink.Requests);
        }

        var outcome = errors.Count > 0 ? $"status {errors[0]}"
            : !channel.Open ? "suspended, flooded, closed"
            : sink.Requests > 0 ? "requests, waiting"
            : "waiting";
        channel.FinishAndReleaseAll();
        return outcome;
    }

    /// <summary>Counts requests; optionally suspends the decoder on the first, as <see cref="HttpRouter"/> does.</summary>
    private sealed class RequestSink(HttpRequestDecoder decoder, bool suspend) : ChannelHandlerAdapter
    {
        public int Requests { get; private set; }

        public bool Suspended { get; private set; }

        public override void ChannelRead(IChannelHandlerContext context, object message)
        {
            Assert.IsType<HttpRequest>(message);
            Assert.False(Suspended, "a request came out of a suspended decoder");
            Requests++;
            if (suspend)
            {
                decoder.Suspend();
                Suspended = true;
            }
        }
    }
}
