using PriceFeed.Client;
using PriceFeed.Protocol.V1;
using PriceFeed.Tests.Clients;
using PriceFeed.Tests.Testing;
using WireQuote = PriceFeed.Protocol.V1.Quote;

namespace PriceFeed.Tests.Integration;

/// <summary>
/// A running server whose source starts a new epoch (a restarted publisher; docs/protocol.md, "Epoch"): every client
/// gets a fresh hello with the new epoch and a snapshot, then the new epoch's quotes at once, none held back as stale.
/// The scripted source marks its epochs in the price: 100 before the change, 200 after.
/// </summary>
public sealed class EpochChangeTests
{
    private static readonly string[] s_symbols = ["AAA", "BBB"];

    [Theory]
    [InlineData(null)]
    [InlineData("pricefeed.v1.json")]
    public async Task AConnectedClientGetsTheNewHelloThenOnlyTheNewEpochsQuotes(string? subprotocol)
    {
        ScriptedQuoteSource source = null!;
        await using var server = await TestServer.StartAsync(source: ScriptedQuoteSource.Factory(s => source = s, s_symbols));
        var client = await FeedClient.ConnectAsync(server.WsUri, subprotocol);
        await using var _ = client;
        var hello = await client.ReadHelloAsync();
        await client.SendAsync(new ClientMessage { Subscribe = new Subscribe { RequestId = 1, Symbols = { "AAA", "BBB" } } });
        for (var i = 0; i < 5; i++)
        {
            source.PublishBatch(s_symbols, mid: 100);
        }

        source.ChangeEpoch("scripted-epoch-2");
        for (var i = 0; i < 10; i++)
        {
            source.PublishBatch(s_symbols, mid: 200);
        }

        var before = new List<WireQuote>();
        var after = new List<WireQuote>();
        Hello? second = null;
        using var deadline = Eventually.Deadline();
        while (!(after.Count(q => q.Symbol == "AAA" && q.Seq == 10) == 1 && after.Count(q => q.Symbol == "BBB" && q.Seq == 10) == 1))
        {
            var message = await client.ReceiveAsync().WaitAsync(deadline.Token);
            switch (message.BodyCase)
            {
                case ServerMessage.BodyOneofCase.Hello:
                    Assert.Null(second);
                    second = message.Hello;
                    break;
                case ServerMessage.BodyOneofCase.Snapshot:
                    (second is null ? before : after).AddRange(message.Snapshot.Quotes);
                    break;
                case ServerMessage.BodyOneofCase.Quotes:
                    (second is null ? before : after).AddRange(message.Quotes.Quotes);
                    break;
            }
        }

        Assert.Equal("scripted-epoch-1", hello.Epoch);
        Assert.NotNull(second);
        Assert.Equal(("scripted-epoch-2", 1024u), (second.Epoch, second.ResumeDepth));
        Assert.All(before, q => Assert.Equal(100, q.Last));
        Assert.All(after, q => Assert.Equal(200, q.Last));
        foreach (var symbol in s_symbols)
        {
            var seqs = after.Where(q => q.Symbol == symbol).Select(q => q.Seq).ToList();
            Assert.True(seqs.SequenceEqual(seqs.Order().Distinct()), $"{symbol}: seqs after the new hello go up: {string.Join(",", seqs)}");
        }
    }

    [Fact]
    public async Task TheCSharpClientStartsItsSeqGuardAgainAndKeepsDelivering()
    {
        ScriptedQuoteSource source = null!;
        await using var server = await TestServer.StartAsync(source: ScriptedQuoteSource.Factory(s => source = s, s_symbols));
        await using var client = await PriceFeedClient.ConnectAsync(new PriceFeedClientOptions { Url = server.WsUri });
        await using var recorder = new QuoteRecorder(client);
        await client.SubscribeAsync(s_symbols);
        for (var i = 0; i < 50; i++)
        {
            source.PublishBatch(s_symbols, mid: 100);
        }

        await Eventually.UntilAsync(() => recorder.Last.TryGetValue("AAA", out var q) && q.Seq == 50, "the first epoch's last quote");
        source.ChangeEpoch("scripted-epoch-2");
        for (var i = 0; i < 3; i++)
        {
            source.PublishBatch(s_symbols, mid: 200);
        }

        // Seqs 1..3 of the new epoch are below 50: a guard that did not start again would hold them back as stale.
        await Eventually.UntilAsync(
            () => s_symbols.All(s => recorder.Last.TryGetValue(s, out var q) && q.Seq == 3 && q.Last == 200),
            "the new epoch's third quote of each symbol");
        Assert.Equal(1, recorder.EpochChanges);
        Assert.Empty(recorder.Violations);
        Assert.Equal("scripted-epoch-2", client.Server!.Epoch);
    }
}
