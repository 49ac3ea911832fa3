using DotNetty.Transport.Channels;
using PriceFeed.Server.Security;

namespace PriceFeed.Server.Fanout;

/// <summary>Opens the fan-out side of a new client: its send queue, writing the frames of its subprotocol, known to
/// the subscription service until it closes.</summary>
/// <remarks>Called on the new client's event loop, from any of them at once: thread-safe.</remarks>
internal sealed class ClientSessionFactory(
    FanoutContext context, ProtobufQuoteFrames protobufFrames, JsonQuoteFrames jsonFrames, SubscriptionService subscriptions)
{
    /// <summary>A session on <paramref name="channel"/>'s channel sending quotes as JSON (<paramref name="json"/>) or
    /// protobuf, limited to the symbols of <paramref name="entitlements"/>.</summary>
    public ClientSession Open(IChannelHandlerContext channel, bool json, Entitlements entitlements)
    {
        QuoteFrameFormat format = protobufFrames;
        if (json)
        {
            // Room for JSON entries is made when the first JSON client connects, before it can subscribe.
            context.Cache.EnableJson();
            context.Log.EnableJson();
            format = jsonFrames;
        }

        var session = new ClientSession(channel, context, format, entitlements);
        subscriptions.Opened(session);
        return session;
    }
}
