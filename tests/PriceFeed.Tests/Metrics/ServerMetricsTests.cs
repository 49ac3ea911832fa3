using System.Globalization;
using System.Text;
using PriceFeed.Server.Metrics;

namespace PriceFeed.Tests.Metrics;

/// <summary>The metrics a scrape of <c>/metrics</c> returns: names, labels, the histogram, and one registry per server.</summary>
public sealed class ServerMetricsTests
{
    [Fact]
    public async Task ExportsEveryMetricWithThePricefeedPrefixAndItsHelp()
    {
        var metrics = new ServerMetrics();

        var text = await ScrapeAsync(metrics);

        // Every family has a HELP and a TYPE line, and all of them are ours.
        var families = text.Split('\n').Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal)).Select(l => l.Split(' ')[2]).ToList();
        Assert.True(families.Count >= 30, $"only {families.Count} metric families exported:\n{text}");
        Assert.All(families, name => Assert.StartsWith("pricefeed_", name, StringComparison.Ordinal));
        Assert.All(families, name => Assert.Contains($"# HELP {name} ", text, StringComparison.Ordinal));
        Assert.Contains("# TYPE pricefeed_connections_accepted_total counter", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE pricefeed_ring_lag gauge", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE pricefeed_publish_to_write_seconds histogram", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CountsByLabelAsTheServerSpellsIt()
    {
        var metrics = new ServerMetrics();

        metrics.LimitsExceeded.WithLabels(MetricLabels.SymbolsPerClient).Inc();
        metrics.LimitsExceeded.WithLabels(MetricLabels.SymbolsPerClient).Inc();
        metrics.AccessDenied.WithLabels(MetricLabels.ExpiredToken).Inc();
        metrics.Closes.WithLabels("4001").Inc();
        metrics.HttpRequests.WithLabels("404").Inc(3);

        var text = await ScrapeAsync(metrics);
        Assert.Equal(2, Value(text, "pricefeed_limits_exceeded_total{limit=\"symbols_per_client\"}"));
        Assert.Equal(1, Value(text, "pricefeed_access_denied_total{reason=\"expired_token\"}"));
        Assert.Equal(1, Value(text, "pricefeed_websocket_closes_total{code=\"4001\"}"));
        Assert.Equal(3, Value(text, "pricefeed_http_requests_total{status=\"404\"}"));
    }

    [Fact]
    public async Task ObservesPublishToWriteInSecondsAndIgnoresAQuoteWithNoPublishTime()
    {
        var metrics = new ServerMetrics();
        var now = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100;

        metrics.ObservePublishToWrite(now - 2_000_000); // about 2 ms ago
        metrics.ObservePublishToWrite(0);                 // no publish time: not observed

        var text = await ScrapeAsync(metrics);
        Assert.Equal(1, Value(text, "pricefeed_publish_to_write_seconds_count"));
        var sum = Value(text, "pricefeed_publish_to_write_seconds_sum");
        Assert.InRange(sum, 0.001, 5.0);
        // Nothing falls into the 10 us bucket; the 2 ms observation is in every bucket from ~2.6 ms up.
        Assert.Equal(0, Value(text, "pricefeed_publish_to_write_seconds_bucket{le=\"1e-05\"}"));
        Assert.Equal(1, Value(text, "pricefeed_publish_to_write_seconds_bucket{le=\"+Inf\"}"));
    }

    [Fact]
    public async Task EachServerHasARegistryOfItsOwn()
    {
        var first = new ServerMetrics();
        var second = new ServerMetrics();

        first.FramesOut.Inc(5);

        Assert.Equal(5, Value(await ScrapeAsync(first), "pricefeed_frames_out_total"));
        Assert.Equal(0, Value(await ScrapeAsync(second), "pricefeed_frames_out_total"));
    }

    private static async Task<string> ScrapeAsync(ServerMetrics metrics)
    {
        using var stream = new MemoryStream();
        await metrics.WriteAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>The value of the sample line starting with <paramref name="series"/> (name and labels as exported).</summary>
    private static double Value(string text, string series)
    {
        var line = text.Split('\n').SingleOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        Assert.True(line is not null, $"no sample {series} in:\n{text}");
        return double.Parse(line![(series.Length + 1)..], CultureInfo.InvariantCulture);
    }
}
