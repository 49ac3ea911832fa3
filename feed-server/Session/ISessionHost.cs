using DotNetty.Transport.Channels;
using Microsoft.Extensions.Logging;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Fanout;
using PriceFeed.Server.Hosting;
using PriceFeed.Server.Metrics;
using PriceFeed.Server.Security;

namespace PriceFeed.Server.Session;

/// <summary>What a session needs from the server around it: identity, limits, metrics and the subscription service.</summary>
internal interface ISessionHost
{
    string ServerId { get; }

    string Policy { get; }

    int MaxSymbolsPerClient { get; }

    FeedServerLimits Limits { get; }

    ServerMetrics Metrics { get; }

    ILogger Logger { get; }

    /// <summary>Creates the fan-out side of a new session on <paramref name="context"/>'s channel, sending quotes in
    /// <paramref name="protocol"/>, limited to the symbols of <paramref name="entitlements"/>.</summary>
    ClientSession OpenSession(IChannelHandlerContext context, ClientProtocol protocol, Entitlements entitlements);

    /// <summary>Handles a <c>subscribe</c>: answers <c>subscribe_result</c>, then the snapshot, then live quotes.</summary>
    void Subscribe(FeedSessionHandler session, Subscribe request);

    /// <summary>Handles an <c>unsubscribe</c>: updates for those symbols stop at once.</summary>
    void Unsubscribe(FeedSessionHandler session, Unsubscribe request);

    /// <summary>The session's connection closed: remove every trace of it.</summary>
    void SessionClosed(FeedSessionHandler session);
}
