using System.Text;
using PriceFeed.Server.Fanout;

namespace PriceFeed.Tests.Fanout;

/// <summary>One random case of the fan-out model test: how the core is set up, and what happens to it.</summary>
/// <remarks>
/// <para>Everything is data, so a case prints as the operations that make it and replays from them alone,
/// and the shrinker can drop operations or simplify clients and run what is left. An operation on a client
/// that is gone (closed as slow) or on a symbol that does not exist yet is still valid: the run skips it or
/// the service answers it.</para>
/// <para>Two shapes: narrow (8 symbols, batches of at most 8 quotes, so the log of 16 still holds every
/// batch) and wide (600 symbols and bursts of one quote each in one ring batch: a drain then writes more
/// than one frame of <see cref="ClientSession.MaxFrameBytes"/>, the size that fills a channel).</para>
/// </remarks>
internal sealed record FanoutModelCase(FanoutModelCase.Setup Config, IReadOnlyList<FanoutModelCase.Operation> Operations)
{
    /// <summary>At most this many quotes in a generated batch (not a burst): within every FIFO and log capacity used.</summary>
    public const int MaxBatch = 8;

    private const int NarrowSymbols = 8;

    private const int WideSymbols = 600;

    public enum Kind
    {
        /// <summary>One ring batch of the quotes of <see cref="Operation.Symbols"/>, endOfBatch on the last only.</summary>
        Publish,

        /// <summary>One ring batch with one quote of every symbol.</summary>
        Burst,
        Subscribe,
        SubscribeAll,
        Unsubscribe,
        UnsubscribeAll,

        /// <summary>The client's channel becomes writable (<see cref="Operation.Flag"/>) or not.</summary>
        Writable,

        /// <summary>The client's event loop runs what is due (drains, timers), and the client reads.</summary>
        Drain,
        DrainAll,

        /// <summary>A symbol appears in the table (subscribers to <c>*</c> get it).</summary>
        NewSymbol,

        /// <summary>The source goes quiet; the model checks convergence, then the run goes on.</summary>
        Quiet,
    }

    /// <param name="Drop">The <c>drop</c> policy, else <c>conflate</c>.</param>
    /// <param name="Symbols">Symbols in the table at the start.</param>
    /// <param name="GraceMs">The slow-consumer grace: a few ms in some cases, so the 4001 check runs within a case.</param>
    internal sealed record Setup(
        bool Drop, int Symbols, int QueueCapacity, int MaxSymbolsPerClient, int LogCapacity, int GraceMs, IReadOnlyList<ClientSetup> Clients)
    {
        /// <summary>The bound of a session's FIFO (<see cref="ClientSession"/>: under conflate, at most <see cref="ClientSession.ConflateFifoCapacity"/>).</summary>
        public int FifoCapacity => Drop ? QueueCapacity : Math.Min(QueueCapacity, ClientSession.ConflateFifoCapacity);

        public override string ToString() =>
            $"policy={(Drop ? "drop" : "conflate")} symbols={Symbols} queue-capacity={QueueCapacity} max-symbols={MaxSymbolsPerClient} " +
            $"log={LogCapacity} grace={GraceMs}ms clients=[{string.Join(", ", Clients.Select((c, i) => $"c{i}:{c}"))}]";
    }

    /// <param name="Prompt">Never made unwritable, and drained after every batch: the client that keeps up (guarantee 6).</param>
    /// <param name="SmallWaterMarks">Write-buffer water marks of 512 B / 1 KiB instead of 32 / 64 KiB, so most writes fill the channel.</param>
    internal sealed record ClientSetup(bool Json, bool Prompt, bool SmallWaterMarks)
    {
        public override string ToString() =>
            (Json ? "json" : "proto") + (Prompt ? ",prompt" : string.Empty) + (SmallWaterMarks ? ",small-marks" : string.Empty);
    }

    internal sealed record Operation(Kind Kind, int Client = -1, int[]? Symbols = null, uint ThrottleMs = 0, bool SkipSnapshot = false, bool Flag = false)
    {
        public override string ToString()
        {
            var symbols = Symbols is null ? string.Empty : string.Join(",", Symbols.Select(FanoutHarness.SymbolName));
            var options = (ThrottleMs > 0 ? $" throttle={ThrottleMs}" : string.Empty) + (SkipSnapshot ? " skip_snapshot" : string.Empty);
            return Kind switch
            {
                Kind.Publish => $"publish {symbols}",
                Kind.Burst => "burst",
                Kind.Subscribe => $"c{Client} subscribe {symbols}{options}",
                Kind.SubscribeAll => $"c{Client} subscribe *{options}",
                Kind.Unsubscribe => $"c{Client} unsubscribe {symbols}",
                Kind.UnsubscribeAll => $"c{Client} unsubscribe *",
                Kind.Writable => $"c{Client} {(Flag ? "writable" : "unwritable")}",
                Kind.Drain => $"c{Client} drain",
                Kind.DrainAll => "drain all",
                Kind.NewSymbol => "new symbol",
                Kind.Quiet => "quiet",
                _ => Kind.ToString(),
            };
        }
    }

    /// <summary>A random case of <paramref name="length"/> operations.</summary>
    public static FanoutModelCase Generate(Random random, int length)
    {
        var drop = random.Next(2) == 0;
        var wide = random.Next(8) == 0;
        var clients = new ClientSetup[random.Next(1, 5)];
        for (var i = 0; i < clients.Length; i++)
        {
            clients[i] = new ClientSetup(Json: random.Next(3) == 0, Prompt: random.Next(3) == 0, SmallWaterMarks: random.Next(4) == 0);
        }

        var config = new Setup(
            drop,
            wide ? WideSymbols : NarrowSymbols,
            QueueCapacity: drop ? Pick(random, 8, 16) : Pick(random, 8, 16, 1024),
            MaxSymbolsPerClient: random.Next(3) == 0 ? 3 : 1000,
            // The server sizes its log to hold a whole ring batch; 16 holds a narrow one, not a burst.
            LogCapacity: wide ? 4096 : Pick(random, 16, 4096),
            GraceMs: random.Next(3) == 0 ? 3 : 10_000,
            clients);

        var operations = new List<Operation>(length);
        var symbolCount = config.Symbols;
        for (var i = 0; i < length; i++)
        {
            var operation = NextOperation(random, config, symbolCount, wide);
            if (operation.Kind == Kind.NewSymbol)
            {
                symbolCount++;
            }

            operations.Add(operation);
        }

        return new FanoutModelCase(config, operations);
    }

    /// <summary>The case as text: its setup, then its operations, the middle left out past <paramref name="maxOperations"/>.</summary>
    public string Describe(int maxOperations = 120)
    {
        var text = new StringBuilder().Append(Config).Append('\n').Append(Operations.Count).Append(" operations: ");
        if (Operations.Count <= maxOperations)
        {
            return text.AppendJoin("; ", Operations).ToString();
        }

        var half = maxOperations / 2;
        return text.AppendJoin("; ", Operations.Take(half))
            .Append($"; ... {Operations.Count - (2 * half)} more ...; ")
            .AppendJoin("; ", Operations.Skip(Operations.Count - half))
            .ToString();
    }

    private static Operation NextOperation(Random random, Setup config, int symbolCount, bool wide)
    {
        var client = random.Next(config.Clients.Count);
        var roll = random.Next(100);
        switch (roll)
        {
            case < 30:
                // Mostly a few symbols, so one symbol often has several quotes in a batch (the FIFO keeps them all).
                var batch = new int[random.Next(3) == 0 ? random.Next(2, MaxBatch + 1) : 1];
                for (var i = 0; i < batch.Length; i++)
                {
                    batch[i] = PickSymbol(random, symbolCount, wide);
                }

                return new Operation(Kind.Publish, Symbols: batch);
            case < 32 when wide:
                return new Operation(Kind.Burst);
            case < 44:
                var named = new int[random.Next(1, 4)];
                for (var i = 0; i < named.Length; i++)
                {
                    // One past the table: a symbol that does not exist (yet), rejected unknown_symbol.
                    named[i] = random.Next(20) == 0 ? symbolCount : PickSymbol(random, symbolCount, wide);
                }

                return new Operation(Kind.Subscribe, client, named, Throttle(random), SkipSnapshot: random.Next(4) == 0);
            case < 48:
                return new Operation(Kind.SubscribeAll, client, ThrottleMs: Throttle(random), SkipSnapshot: random.Next(4) == 0);
            case < 54:
                var removed = new int[random.Next(1, 3)];
                for (var i = 0; i < removed.Length; i++)
                {
                    removed[i] = PickSymbol(random, symbolCount, wide);
                }

                return new Operation(Kind.Unsubscribe, client, removed);
            case < 56:
                return new Operation(Kind.UnsubscribeAll, client);
            case < 68 when !config.Clients[client].Prompt:
                // Unwritable a little more often than writable, so backlogs build up.
                return new Operation(Kind.Writable, client, Flag: random.Next(5) < 2);
            case < 92:
                return new Operation(Kind.Drain, client);
            case < 97:
                return new Operation(Kind.DrainAll);
            case < 98 when symbolCount < 2 * config.Symbols:
                return new Operation(Kind.NewSymbol);
            case < 99:
                return new Operation(Kind.Quiet);
            default:
                return new Operation(Kind.Drain, client);
        }
    }

    /// <summary>In a wide case, mostly the first few symbols, so named subscriptions and quotes meet.</summary>
    private static int PickSymbol(Random random, int symbolCount, bool wide) =>
        wide && random.Next(4) != 0 ? random.Next(NarrowSymbols) : random.Next(symbolCount);

    /// <summary>Mostly none; else 1 to 5 ms, short enough to wait out when checking convergence.</summary>
    private static uint Throttle(Random random) => random.Next(4) == 0 ? (uint)random.Next(1, 6) : 0;

    private static int Pick(Random random, params int[] values) => values[random.Next(values.Length)];
}
