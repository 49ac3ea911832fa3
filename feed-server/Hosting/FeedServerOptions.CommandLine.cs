using System.Numerics;
using System.Security.Cryptography.X509Certificates;
using PriceFeed.CommandLine;
using PriceFeed.Server.Ring;
using PriceFeed.Server.Security;
using PriceFeed.Simulation;

namespace PriceFeed.Server.Hosting;

/// <summary>The server's command line: each option declared once, its default read from the properties' initializers.</summary>
internal sealed partial record FeedServerOptions
{
    // Declared before the options that read their defaults from them: static fields initialize in order.
    private static readonly FeedServerOptions s_defaults = new();
    private static readonly FeedServerLimits s_limits = new();

    private static readonly OptionSpec<string> s_host = new("host", s_defaults.Host, ValueReaders.Text, "address to listen on");
    private static readonly OptionSpec<int> s_port = new(
        "port", s_defaults.Port, ValueReaders.WholeNumber(0, 65_535), "HTTP and WebSocket port (0: any free port)");
    private static readonly OptionSpec<QuoteSourceKind> s_source = new(
        "source", s_defaults.Source, ValueReaders.OneOf(("sim", QuoteSourceKind.Sim), ("redis", QuoteSourceKind.Redis)),
        "sim: the built-in simulator; redis: quotes from the Redis bus (docs/scale-out.md)");
    private static readonly OptionSpec<int> s_symbols = new(
        "symbols", s_defaults.Symbols, ValueReaders.WholeNumber(1, SymbolUniverse.MaxSymbols), "simulator: number of instruments");
    private static readonly OptionSpec<int> s_rate = new(
        "rate", s_defaults.Rate, ValueReaders.WholeNumber(1, SimulatorOptions.MaxRate), "simulator: quotes per second, all symbols together");
    private static readonly OptionSpec<double?> s_duration = new(
        "duration", s_defaults.Duration, ValueReaders.Optional(ValueReaders.Number(0, 365 * 86_400)),
        "simulator: stop producing after this many seconds (the server keeps serving)");
    private static readonly OptionSpec<long?> s_seed = new(
        "seed", s_defaults.Seed, ValueReaders.Optional(ValueReaders.WholeNumber<long>()), "simulator: random seed, for repeatable runs", "random");
    private static readonly OptionSpec<int> s_pacingSlackMs = new(
        "pacing-slack-ms", s_defaults.PacingSlackMs, ValueReaders.WholeNumber(0, (int)SimulatorOptions.MaxPacingSlack.TotalMilliseconds),
        "simulator: how late a batch may leave its planned time so the thread can sleep, not spin (0: punctual, one core busy)");
    private static readonly OptionSpec<string> s_redis = new(
        "redis", s_defaults.Redis, ValueReaders.Text, "Redis connection (HOST:PORT) for --source redis");
    private static readonly OptionSpec<SlowConsumerPolicy> s_policy = new(
        "policy", s_defaults.Policy, ValueReaders.OneOf(("conflate", SlowConsumerPolicy.Conflate), ("drop", SlowConsumerPolicy.Drop)),
        "slow-consumer policy: conflate or drop");
    private static readonly OptionSpec<int> s_queueCapacity = new(
        "queue-capacity", s_defaults.QueueCapacity, ValueReaders.WholeNumber(1, 1 << 20), "per-client bound on pending updates");
    private static readonly OptionSpec<int> s_resumeDepth = new(
        "resume-depth", s_defaults.ResumeDepth, ValueReaders.WholeNumber(0, 1 << 16),
        "updates kept per symbol for clients that resume (0: no resume); memory: 155 bytes x this x each symbol seen");
    private static readonly OptionSpec<int> s_slowConsumerGraceMs = new(
        "slow-consumer-grace-ms", s_defaults.SlowConsumerGraceMs, ValueReaders.WholeNumber(10, 3_600_000),
        "a client unable to take updates for this long is closed with 4001");
    private static readonly OptionSpec<int> s_barHistory = new(
        "bar-history", s_defaults.BarHistory, ValueReaders.WholeNumber(0, 1000),
        "closed bars kept per symbol and interval, the most history a client may ask for (0: no bars); memory: 224 bytes x this x each symbol seen");
    private static readonly OptionSpec<int> s_barCloseDelayMs = new(
        "bar-close-delay-ms", s_defaults.BarCloseDelayMs, ValueReaders.WholeNumber(0, 10_000),
        "a bar with no later trade closes this long after its end, by the server's clock");
    private static readonly OptionSpec<int> s_drainSpreadMs = new(
        "drain-spread-ms", s_defaults.DrainSpreadMs, ValueReaders.WholeNumber(0, 600_000),
        "on shutdown, go_away tells clients to come back spread over this many ms (0: all at once)");
    private static readonly OptionSpec<int> s_ringSize = new OptionSpec<int>(
        "ring-size", s_defaults.RingSize, ValueReaders.WholeNumber(2, 1 << 24), "slots in the quote ring (a power of two)")
        .Must(int.IsPow2, size => $"is not a power of two (try {BitOperations.RoundUpToPowerOf2((uint)size)})");
    private static readonly OptionSpec<WaitStrategyKind> s_waitStrategy = new(
        "wait-strategy", s_defaults.WaitStrategy,
        new ValueReader<WaitStrategyKind>(WaitStrategies.TryParse, "one of " + WaitStrategies.ValidNames, WaitStrategies.NameOf),
        "how the fan-out waits for quotes: event-loop (no thread of its own: it runs on an event loop), or on a thread: busy-spin, yielding, blocking, spin-then-block");
    private static readonly OptionSpec<int> s_maxSymbolsPerClient = new(
        "max-symbols-per-client", s_defaults.MaxSymbolsPerClient, ValueReaders.WholeNumber(1, 1 << 20),
        "most symbols one client may subscribe to; past it, rejected with reason limit");
    private static readonly OptionSpec<int> s_maxSymbols = new(
        "max-symbols", s_defaults.MaxSymbols, ValueReaders.WholeNumber(1, 1 << 20), "most distinct symbols the server will ever hold");
    private static readonly OptionSpec<string?> s_authSecret = new(
        "auth-secret", null, ValueReaders.OptionalText, "HS256 key (32 bytes or more); when set, every /ws upgrade needs a token");
    // 30 s: the minting host's clock and ours differ by seconds, not minutes (docs/security.md).
    private static readonly OptionSpec<int> s_tokenClockSkewS = new(
        "token-clock-skew-s", 30, ValueReaders.WholeNumber(0, 3_600), "seconds of clock difference tolerated around a token's exp and nbf");
    private static readonly OptionSpec<string?> s_allowedOrigins = new(
        "allowed-origins", null, ValueReaders.OptionalText, "comma-separated browser origins allowed to open /ws; others get 403", "any");
    private static readonly OptionSpec<string?> s_tlsCert = new(
        "tls-cert", null, ValueReaders.OptionalText, "certificate, PFX or PEM: serve https:// and wss://");
    private static readonly OptionSpec<string?> s_tlsKey = new(
        "tls-key", null, ValueReaders.OptionalText, "private key of a PEM --tls-cert (left out when the PEM file holds both)");
    private static readonly OptionSpec<string?> s_serverId = new(
        "server-id", s_defaults.ServerId, ValueReaders.OptionalText, "identifies this node in hello and /healthz", "host name and port");
    private static readonly OptionSpec<string> s_logLevel = new(
        "log-level", s_defaults.LogLevel,
        ValueReaders.OneOf(("Trace", "Trace"), ("Debug", "Debug"), ("Information", "Information"), ("Warning", "Warning"), ("Error", "Error")),
        "Trace, Debug, Information, Warning, Error");

    // The limits: their defaults and the reasons for them are on FeedServerLimits' properties.
    private static readonly OptionSpec<int> s_maxConnections = new(
        "max-connections", s_limits.MaxConnections, ValueReaders.WholeNumber(1, 1_000_000),
        "TCP connections at once; past it HTTP 503, or close 1013 after the upgrade");
    private static readonly OptionSpec<int> s_heartbeatMs = new(
        "heartbeat-ms", s_limits.HeartbeatIntervalMs, ValueReaders.WholeNumber(100, 3_600_000),
        "server ping interval; a peer silent for two intervals is closed");
    private static readonly OptionSpec<int> s_handshakeTimeoutMs = new(
        "handshake-timeout-ms", s_limits.HandshakeTimeoutMs, ValueReaders.WholeNumber(100, 600_000), "time allowed to send a complete HTTP request");
    private static readonly OptionSpec<int> s_closeTimeoutMs = new(
        "close-timeout-ms", s_limits.CloseTimeoutMs, ValueReaders.WholeNumber(10, 600_000), "time a server-initiated close waits for the peer's close");
    private static readonly OptionSpec<int> s_maxMessageBytes = new(
        "max-message-bytes", s_limits.MaxMessageBytes, ValueReaders.WholeNumber(1_024, 16 << 20), "largest client message; larger closes with 1009");
    private static readonly OptionSpec<int> s_maxRequestLineBytes = new(
        "max-request-line-bytes", s_limits.MaxRequestLineBytes, ValueReaders.WholeNumber(256, 1 << 20), "longest HTTP request line; longer gets 414");
    private static readonly OptionSpec<int> s_maxHeaderBytes = new(
        "max-header-bytes", s_limits.MaxHeaderBytes, ValueReaders.WholeNumber(1_024, 1 << 20), "largest HTTP header section; larger gets 431");
    private static readonly OptionSpec<int> s_maxConnectionsPerIp = new(
        "max-connections-per-ip", s_limits.MaxConnectionsPerIp, ValueReaders.WholeNumber(1, 1_000_000),
        "TCP connections at once from one address; past it HTTP 503, or close 1013 after the upgrade");
    private static readonly OptionSpec<int> s_controlMessagesPerSecond = new(
        "control-messages-per-second", s_limits.ControlMessagesPerSecond, ValueReaders.WholeNumber(1, 1_000_000),
        "sustained messages a client may send (subscribe, unsubscribe, ping, WebSocket pings); past it close 1008");
    private static readonly OptionSpec<int> s_controlBurst = new(
        "control-burst", s_limits.ControlBurst, ValueReaders.WholeNumber(1, 1_000_000),
        "messages a client may send at once before the per-second rate applies");
    private static readonly OptionSpec<long> s_maxQueuedBytes = new(
        "max-queued-bytes", s_limits.MaxQueuedBytes, ValueReaders.WholeNumber(64L << 10, 1L << 40),
        "bytes waiting in all clients' socket buffers together; past it the clients furthest behind are closed with 4001");

    private static readonly OptionSet s_commandLine = new(
        "feed-server",
        "PriceFeed server: broadcasts market quotes to WebSocket clients. Every option can also be set by its "
        + "PRICEFEED_<NAME> environment variable or a key of the --config JSON file; the command line wins over the "
        + "environment, which wins over the file. 'feed-server mint-token --help': print a token for --auth-secret.",
        [
            s_host, s_port, s_source, s_symbols, s_rate, s_duration, s_seed, s_pacingSlackMs, s_redis, s_policy,
            s_queueCapacity, s_resumeDepth, s_barHistory, s_barCloseDelayMs, s_slowConsumerGraceMs, s_drainSpreadMs, s_ringSize, s_waitStrategy, s_maxSymbolsPerClient, s_maxSymbols,
            s_authSecret, s_tokenClockSkewS, s_allowedOrigins, s_tlsCert, s_tlsKey, s_serverId, s_logLevel,
            s_maxConnections, s_heartbeatMs, s_handshakeTimeoutMs, s_closeTimeoutMs, s_maxMessageBytes,
            s_maxRequestLineBytes, s_maxHeaderBytes, s_maxConnectionsPerIp, s_controlMessagesPerSecond, s_controlBurst,
            s_maxQueuedBytes,
        ],
        acceptsConfigFile: true);

    /// <summary>Every option the command line accepts, in the order <c>--help</c> lists them.</summary>
    public static IReadOnlyList<OptionSpec> Specs => s_commandLine.Specs;

    /// <summary>Reads and validates the options; <paramref name="errors"/> lists every mistake, each naming its option.</summary>
    /// <param name="environment">The environment to read <c>PRICEFEED_*</c> from; the process's own when null.</param>
    public static FeedServerOptions Load(
        IReadOnlyList<string> args,
        out IReadOnlyList<string> errors,
        out bool helpRequested,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var values = s_commandLine.Parse(args, environment);
        helpRequested = values.HelpRequested;

        var options = new FeedServerOptions
        {
            Host = values.Get(s_host),
            Port = values.Get(s_port),
            Source = values.Get(s_source),
            Redis = values.Get(s_redis),
            Symbols = values.Get(s_symbols),
            Rate = values.Get(s_rate),
            Duration = values.Get(s_duration),
            Seed = values.Get(s_seed),
            PacingSlackMs = values.Get(s_pacingSlackMs),
            Policy = values.Get(s_policy),
            QueueCapacity = values.Get(s_queueCapacity),
            ResumeDepth = values.Get(s_resumeDepth),
            SlowConsumerGraceMs = values.Get(s_slowConsumerGraceMs),
            DrainSpreadMs = values.Get(s_drainSpreadMs),
            BarHistory = values.Get(s_barHistory),
            BarCloseDelayMs = values.Get(s_barCloseDelayMs),
            RingSize = values.Get(s_ringSize),
            WaitStrategy = values.Get(s_waitStrategy),
            MaxSymbols = values.Get(s_maxSymbols),
            MaxSymbolsPerClient = values.Get(s_maxSymbolsPerClient),
            Tokens = ReadTokens(values),
            AllowedOrigins = ReadAllowedOrigins(values),
            TlsCertificate = ReadTlsCertificate(values),
            ServerId = values.Get(s_serverId),
            LogLevel = values.Get(s_logLevel),
            Limits = new FeedServerLimits
            {
                MaxConnections = values.Get(s_maxConnections),
                HeartbeatIntervalMs = values.Get(s_heartbeatMs),
                HandshakeTimeoutMs = values.Get(s_handshakeTimeoutMs),
                CloseTimeoutMs = values.Get(s_closeTimeoutMs),
                MaxMessageBytes = values.Get(s_maxMessageBytes),
                MaxRequestLineBytes = values.Get(s_maxRequestLineBytes),
                MaxHeaderBytes = values.Get(s_maxHeaderBytes),
                MaxConnectionsPerIp = values.Get(s_maxConnectionsPerIp),
                ControlMessagesPerSecond = values.Get(s_controlMessagesPerSecond),
                ControlBurst = values.Get(s_controlBurst),
                MaxQueuedBytes = values.Get(s_maxQueuedBytes),
            },
        };

        // Rules across options, after binding, so that one run still reports every mistake.
        if (options.Source == QuoteSourceKind.Redis && !IsRedisConfiguration(options.Redis))
        {
            values.Fail(s_redis, $"'{options.Redis}' is not a Redis connection; expected HOST:PORT, e.g. localhost:6379.");
        }

        if (options.Symbols > options.MaxSymbols)
        {
            values.Fail(s_symbols, $"{options.Symbols} is more than --max-symbols ({options.MaxSymbols}); raise --max-symbols.");
        }

        errors = values.Errors;
        return options;
    }

    /// <summary>The <c>--help</c> text: what the server does, then every option with its default and environment variable.</summary>
    public static string HelpText() => s_commandLine.HelpText();

    /// <summary>The name of <paramref name="policy"/> as <c>--policy</c> takes it and <c>hello</c> reports it.</summary>
    public static string NameOf(SlowConsumerPolicy policy) => s_policy.Format(policy);

    private static bool IsRedisConfiguration(string value)
    {
        try
        {
            return StackExchange.Redis.ConfigurationOptions.Parse(value).EndPoints.Count > 0;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static TokenValidator? ReadTokens(OptionValues values)
    {
        if (values.Get(s_authSecret) is not { } secret)
        {
            return null;
        }

        // Only the length is reported: the value is a secret and error messages end up in logs.
        var length = System.Text.Encoding.UTF8.GetByteCount(secret);
        if (length < TokenValidator.MinSecretBytes)
        {
            values.Fail(
                s_authSecret,
                $"the HS256 key is {length} bytes; it must be at least {TokenValidator.MinSecretBytes} (RFC 7518 3.2). "
                + "Generate one with: openssl rand -base64 48");
            return null;
        }

        return new TokenValidator(secret, TimeSpan.FromSeconds(values.Get(s_tokenClockSkewS)));
    }

    private static OriginPolicy ReadAllowedOrigins(OptionValues values)
    {
        if (values.Get(s_allowedOrigins) is not { } list)
        {
            return OriginPolicy.Any;
        }

        if (!OriginPolicy.TryParse(list, out var policy, out var error))
        {
            values.Fail(s_allowedOrigins, error);
        }

        return policy;
    }

    private static X509Certificate2? ReadTlsCertificate(OptionValues values)
    {
        var certPath = values.Get(s_tlsCert);
        var keyPath = values.Get(s_tlsKey);
        if (certPath is null)
        {
            if (keyPath is not null)
            {
                values.Fail(s_tlsKey, "is set without --tls-cert; give the certificate too.");
            }

            return null;
        }

        if (!TlsCertificates.TryLoad(certPath, keyPath, out var certificate, out var faultyOption, out var error))
        {
            values.Fail(faultyOption, error);
        }

        return certificate;
    }
}
