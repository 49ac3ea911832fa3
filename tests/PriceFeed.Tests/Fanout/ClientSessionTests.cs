using PriceFeed.Protocol.V1;

namespace PriceFeed.Tests.Fanout;

public sealed class ClientSessionTests
{
    [Fact]
    public void SendsSubscribeResultThenSnapshotThenLiveQuotes()
    {
        using var harness = new FanoutHarness();
        harness.Publish(0);
        var client = harness.Connect();

        client.Subscribe("S0");
        harness.Publish(0);
        var messages = client.DrainAndRead();

        Assert.Equal(
            [ServerMessage.BodyOneofCase.SubscribeResult, ServerMessage.BodyOneofCase.Snapshot, ServerMessage.BodyOneofCase.Quotes],
            messages.Select(m => m.BodyCase));
        Assert.Equal(1UL, messages[1].Snapshot.Quotes.Single().Seq);
        Assert.Equal(2UL, messages[2].Quotes.Quotes.Single().Seq);
        Assert.Empty(client.Violations);
    }
}
