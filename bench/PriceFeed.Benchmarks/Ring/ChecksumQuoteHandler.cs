using PriceFeed.Server.Quotes;
using PriceFeed.Server.Ring;

namespace PriceFeed.Benchmarks.Ring;

/// <summary>The ring's consumer in the benchmarks: feeds every quote to a <see cref="QuoteChecksum"/>.</summary>
internal sealed class ChecksumQuoteHandler(QuoteChecksum checksum) : IEventHandler<QuoteEvent>
{
    public void OnEvent(ref QuoteEvent data, long sequence, bool endOfBatch) => checksum.Accept(in data);
}
