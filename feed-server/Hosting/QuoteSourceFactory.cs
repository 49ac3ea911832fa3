using Microsoft.Extensions.Logging;
using PriceFeed.Server.Sources;
using PriceFeed.Server.Quotes;
using PriceFeed.Server.Ring;

namespace PriceFeed.Server.Hosting;

/// <summary>Makes the quote source a server runs: the ring's single producer.</summary>
/// <remarks>
/// The server picks one from <c>--source</c>; tests pass their own to script exact quotes
/// (new symbols, gaps, a source that goes quiet) through the same ring and fan-out.
/// </remarks>
internal delegate IQuoteSource QuoteSourceFactory(
    FeedServerOptions options, SymbolTable symbols, RingBuffer<QuoteEvent> ring, ILoggerFactory loggerFactory);
