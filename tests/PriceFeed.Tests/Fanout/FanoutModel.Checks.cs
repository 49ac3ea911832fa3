using PriceFeed.Protocol.V1;
using static PriceFeed.Tests.Fanout.FanoutModelCase;

namespace PriceFeed.Tests.Fanout;

/// <summary>The reference model's state per client and the checks of what the clients read.</summary>
internal sealed partial class FanoutModel
{
    /// <summary>The model of a subscription to one symbol, from the subscribe that made it to the unsubscribe that ends it.</summary>
    /// <remarks>
    /// Seq strictly increases within a subscription and never goes back across them; a new subscription's
    /// snapshot may repeat the seq the client held before its unsubscribe, since docs/protocol.md ("Guarantees") owes each
    /// subscribe a snapshot of the latest quote.
    /// </remarks>
    private sealed class Held
    {
        public bool Named;
        public uint ThrottleMs;

        /// <summary>Never throttled: a client that keeps up gets every one of its updates, one after the other.</summary>
        public bool Exact;

        /// <summary>The source's seq when the subscription was made.</summary>
        public ulong StartSeq;

        /// <summary>A subscribe asked for a snapshot: the client must hold the latest from then on, not only later updates.</summary>
        public bool HasSnapshot;

        /// <summary>The snapshot is owed and has not come: a live update now would come before it.</summary>
        public bool SnapshotOwed;

        /// <summary>The source's seq when the throttle was last set above 0 (under drop, conflation starts there).</summary>
        public ulong ThrottledSince;

        /// <summary>The last seq the client got in this subscription, 0 if none.</summary>
        public ulong Last;

        /// <summary>The seq that follows without a gap.</summary>
        public ulong ExpectedNext;

        /// <summary>Seqs up to this one may be missing for good: drop lost them in a batch bigger than the FIFO.</summary>
        public ulong ExcusedUpTo;

        public override string ToString() =>
            $"{(Named ? "named" : "through *")}, throttle {ThrottleMs} ms, since seq {StartSeq}{(HasSnapshot ? ", with snapshot" : string.Empty)}";
    }

    private sealed class ClientModel(int index, ClientSetup setup, FanoutClient client)
    {
        public int Index { get; } = index;

        public ClientSetup Setup { get; } = setup;

        public FanoutClient Client { get; } = client;

        /// <summary>Subscriptions by symbol id, as the subscribe answers and unsubscribes left them.</summary>
        public Dictionary<int, Held> Held { get; } = [];

        /// <summary>Per symbol id, the last seq received in any subscription.</summary>
        public Dictionary<int, ulong> LastEver { get; } = [];

        public bool Wildcard { get; set; }

        public uint WildcardThrottleMs { get; set; }

        /// <summary>What the test last set (the user-defined writability bit): the session must not write while false.</summary>
        public bool Writable { get; set; } = true;

        /// <summary>Closed as a slow consumer (4001) and disconnected: no longer driven nor checked.</summary>
        public bool Closed { get; set; }

        /// <summary>A slow_consumer warning was read and no cleared one after it.</summary>
        public bool Warned { get; set; }

        /// <summary>During the drain of a batch bigger than the FIFO: a prompt client may miss updates in it.</summary>
        public bool GapAllowed { get; set; }
    }

    /// <summary>A guarantee the core broke; <see cref="Check"/> names which.</summary>
#pragma warning disable CA1032, CA1064 // Thrown and caught inside the model only, always with a check and a message.
    private sealed class ViolationException(string check, string message) : Exception(message)
#pragma warning restore CA1032, CA1064
    {
        public string Check { get; } = check;
    }

    /// <summary>The seq the client must end up holding for the subscription once quiet; 0 when nothing is owed (no quote yet, or none since a subscribe that skipped the snapshot).</summary>
    private ulong Target(Held held, int symbolId)
    {
        var latest = _harness.SourceSeq(symbolId);
        return latest > 0 && (held.HasSnapshot || latest > held.StartSeq) ? latest : 0;
    }

    /// <summary>
    /// Reads the answer to a subscribe: its <c>subscribe_result</c>, then a snapshot; afterwards the client holds
    /// the latest quote of every symbol the snapshot was for (from the snapshot, or already).
    /// </summary>
    private void ReadSubscribeAnswer(ClientModel client, HashSet<int> snapshotSymbols)
    {
        var messages = client.Client.Read();
        var results = messages.Count(m => m.BodyCase == ServerMessage.BodyOneofCase.SubscribeResult);
        if (results != 1)
        {
            throw new ViolationException("subscribe", $"c{client.Index} read {results} subscribe_result messages for one subscribe");
        }

        Process(client, messages, snapshotSymbols);
        foreach (var symbolId in snapshotSymbols)
        {
            var held = client.Held[symbolId];
            var latest = _harness.SourceSeq(symbolId);
            if (latest > 0 && held.Last != latest)
            {
                throw new ViolationException(
                    "snapshot", $"c{client.Index} subscribed to {Name(symbolId)} with a snapshot but holds seq {held.Last}, not the latest {latest}");
            }
        }

        CheckAfterStep(client);
    }

    /// <summary>Checks <paramref name="messages"/>, in order, against the model and advances it.</summary>
    /// <param name="snapshotSymbols">The symbols a snapshot may hold now; null: no snapshot may come.</param>
    /// <returns>Live quotes read.</returns>
    private int Process(ClientModel client, List<ServerMessage> messages, HashSet<int>? snapshotSymbols)
    {
        var live = 0;
        var answered = false;
        foreach (var message in messages)
        {
            switch (message.BodyCase)
            {
                case ServerMessage.BodyOneofCase.SubscribeResult when snapshotSymbols is not null:
                    answered = true;
                    break;
                case ServerMessage.BodyOneofCase.Snapshot when snapshotSymbols is not null && answered:
                    foreach (var quote in message.Snapshot.Quotes)
                    {
                        SnapshotQuote(client, quote, snapshotSymbols);
                    }

                    break;
                case ServerMessage.BodyOneofCase.Quotes:
                    foreach (var quote in message.Quotes.Quotes)
                    {
                        LiveQuote(client, quote);
                        live++;
                    }

                    break;
                case ServerMessage.BodyOneofCase.SlowConsumer:
                    // Warned and cleared alternate; a warning says when 4001 comes, within the grace.
                    var warning = message.SlowConsumer;
                    if (warning.Cleared != client.Warned || (!warning.Cleared && warning.CloseInMs > _config.GraceMs))
                    {
                        throw new ViolationException("slow_consumer", $"c{client.Index} read {message} while {(client.Warned ? "warned" : "not warned")}");
                    }

                    client.Warned = !warning.Cleared;
                    break;
                default:
                    throw new ViolationException("protocol", $"c{client.Index} read an unexpected {message.BodyCase}: {message}");
            }
        }

        return live;
    }

    private void SnapshotQuote(ClientModel client, Quote quote, HashSet<int> snapshotSymbols)
    {
        var symbolId = SymbolId(client, quote);
        if (!snapshotSymbols.Contains(symbolId))
        {
            throw new ViolationException("snapshot", $"c{client.Index} got {quote.Symbol} in the snapshot of a subscribe that did not ask for it");
        }

        var held = client.Held[symbolId];
        var latest = _harness.SourceSeq(symbolId);
        if (quote.Seq != latest)
        {
            throw new ViolationException("snapshot", $"c{client.Index} got {quote.Symbol} seq {quote.Seq} in a snapshot, not the latest {latest}");
        }

        if (quote.Seq <= held.Last || quote.Seq < client.LastEver.GetValueOrDefault(symbolId))
        {
            throw new ViolationException(
                "order", $"c{client.Index} got {quote.Symbol} seq {quote.Seq} in a snapshot after seq {Math.Max(held.Last, client.LastEver.GetValueOrDefault(symbolId))}");
        }

        Received(client, held, symbolId, quote);
        held.SnapshotOwed = false;
        _tally.Snapshots++;
    }

    private void LiveQuote(ClientModel client, Quote quote)
    {
        var symbolId = SymbolId(client, quote);
        if (!client.Writable)
        {
            throw new ViolationException("backpressure", $"c{client.Index} got {quote.Symbol} seq {quote.Seq} while its channel was unwritable");
        }

        if (!client.Held.TryGetValue(symbolId, out var held))
        {
            throw new ViolationException("unsubscribed", $"c{client.Index} got {quote.Symbol} seq {quote.Seq} but is not subscribed to it");
        }

        if (held.SnapshotOwed)
        {
            throw new ViolationException("snapshot", $"c{client.Index} got {quote.Symbol} seq {quote.Seq} live before the snapshot its subscribe owed");
        }

        var last = Math.Max(held.Last, client.LastEver.GetValueOrDefault(symbolId));
        if (quote.Seq <= last)
        {
            throw new ViolationException("order", $"c{client.Index} got {quote.Symbol} seq {quote.Seq} after seq {last}");
        }

        if (client.Setup.Prompt && held.Exact && !client.GapAllowed && quote.Seq != held.ExpectedNext)
        {
            throw new ViolationException(
                "every update", $"c{client.Index} keeps up but got {quote.Symbol} seq {quote.Seq} after {held.ExpectedNext - 1}: updates in between were lost");
        }

        Received(client, held, symbolId, quote);
        _tally.Delivered++;
    }

    private int SymbolId(ClientModel client, Quote quote) =>
        _harness.Symbols.TryGetId(quote.Symbol, out var symbolId)
            ? symbolId
            : throw new ViolationException("content", $"c{client.Index} got a quote of {quote.Symbol}, a symbol the source does not have");

    private void Received(ClientModel client, Held held, int symbolId, Quote quote)
    {
        // The exact quote the source published with this seq: nothing of another quote or symbol mixed in.
        var published = _published[symbolId];
        if (quote.Seq == 0 || quote.Seq > (ulong)published.Count || !quote.Equals(published[(int)quote.Seq - 1]))
        {
            var expected = quote.Seq == 0 || quote.Seq > (ulong)published.Count ? "none" : published[(int)quote.Seq - 1].ToString();
            throw new ViolationException("content", $"c{client.Index} got {quote}, the source published {expected}");
        }

        held.Last = quote.Seq;
        held.ExpectedNext = quote.Seq + 1;
        client.LastEver[symbolId] = quote.Seq;
    }

    /// <summary>
    /// After every step: a client closed as slow must have been unwritable (a writable client's drain leaves
    /// nothing behind, so it is never over its bound); a <c>conflate</c> FIFO never holds more than its bound.
    /// </summary>
    private void CheckAfterStep(ClientModel client)
    {
        if (client.Closed)
        {
            return;
        }

        if (client.Client.Session.IsClosed)
        {
            if (client.Writable)
            {
                throw new ViolationException(
                    "4001", $"c{client.Index} was closed as a slow consumer although it is writable and was drained (nothing over its bound)");
            }

            // Unwritable past the grace: a legitimate 4001, but only after a slow_consumer warning it was not cleared of.
            Process(client, client.Client.Read(), null);
            if (!client.Warned)
            {
                throw new ViolationException("4001", $"c{client.Index} was closed as a slow consumer without a slow_consumer warning first");
            }

            // The server then forgets the session.
            client.Closed = true;
            _tally.SlowCloses++;
            _harness.Service.Closed(client.Client.Session);
            return;
        }

        // Under drop the FIFO's count is the producer's distance ahead, past the bound until the drain skips the overwritten.
        if (!_config.Drop && client.Client.Session.QueuedInFifo > _config.FifoCapacity)
        {
            throw new ViolationException(
                "bound", $"c{client.Index} has {client.Client.Session.QueuedInFifo} updates in its FIFO, bound {_config.FifoCapacity}");
        }
    }
}
