using PriceFeed.Protocol.V1;
using PriceFeed.Server.Fanout;
using PriceFeed.Server.Metrics;

namespace PriceFeed.Server.Session;

// The subscribe_bars use case (docs/protocol.md, "Bars").
internal sealed partial class FeedSessionHandler
{
    /// <summary>The subscription service applies the rules and keeps the bar registry in step; the client gets
    /// <c>subscribe_result</c>, then one <c>bars</c> message with the history of the accepted symbols, then updates.</summary>
    private void OnSubscribeBars(SubscribeBars request)
    {
        var started = new List<BarSubscription>();
        var result = _sessions.Subscriptions.SubscribeBars(Session, request, started);
        var overLimit = result.Rejected.Count(rejection => rejection.Reason == SubscriptionService.Limit);
        if (overLimit > 0)
        {
            _sessions.Metrics.LimitsExceeded.WithLabels(MetricLabels.SymbolsPerClient).Inc(overLimit);
        }

        Send(new ServerMessage { SubscribeResult = result });
        if (result.Accepted.Count > 0)
        {
            Session.StartBars(started, (int)request.History);
        }
    }
}
