namespace PriceFeed.Tests.Fanout;

/// <summary>The interleavings of the fan-out thread with a client subscribing on its event loop.</summary>
public sealed class QuoteFanoutHandlerRaceTests
{
    /// <summary>
    /// Issue 12, defect 3: a subscribe (registry add, then the snapshot read from the cache) that lands
    /// while a quote is in flight must end with the client holding that quote: either the snapshot has it
    /// or the live update does. Each round is the symbol's very first quote or a later one, racing one
    /// client's subscribe to it; once both are done and the client drained, its last seq must be the source's.
    /// </summary>
    [Fact]
    public void SubscribeRacingAQuoteOfItsSymbolEndsWithTheClientHoldingThatQuote()
    {
        const int Symbols = 2_000;
        const int Rounds = 60_000;
        using var harness = new FanoutHarness(symbols: Symbols);
        FanoutClient? client = null;
        var missed = new List<string>();
        Litmus.Run(
            Rounds,
            setup: _ =>
            {
                client?.Dispose();
                client = harness.Connect();
            },
            left: round => harness.Publish(round % Symbols),
            right: round => client!.Subscribe(FanoutHarness.SymbolName(round % Symbols)),
            check: round =>
            {
                client!.DrainAndRead();
                var symbol = FanoutHarness.SymbolName(round % Symbols);
                var expected = harness.SourceSeq(round % Symbols);
                var held = client.LastSeq.GetValueOrDefault(symbol);
                if (held != expected)
                {
                    missed.Add($"round {round}: {symbol} held {held}, source {expected}");
                }

                Assert.Empty(client.Violations);
            });
        client?.Dispose();

        Assert.True(missed.Count == 0, $"{missed.Count} of {Rounds} subscribes missed the quote in flight: {string.Join("; ", missed.Take(5))}");
    }
}
