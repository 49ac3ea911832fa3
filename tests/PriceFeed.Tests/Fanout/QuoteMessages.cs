using PriceFeed.Protocol.V1;
using PriceFeed.Server.Quotes;
using PriceFeed.Server.Ring;

namespace PriceFeed.Tests.Fanout;

/// <summary>The Google.Protobuf message for a ring quote: the reference our hand-written encoders are compared with.</summary>
internal static class QuoteMessages
{
    public static Quote ToMessage(in QuoteEvent q, string symbol) => new()
    {
        Symbol = symbol, Seq = q.Seq, SourceTimeNs = q.SourceTimeNs, PublishTimeNs = q.PublishTimeNs,
        Bid = q.Bid, Ask = q.Ask, BidSize = q.BidSize, AskSize = q.AskSize, Last = q.Last, LastSize = q.LastSize, Volume = q.Volume,
    };
}
