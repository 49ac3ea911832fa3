using System.Diagnostics.CodeAnalysis;

namespace PriceFeed.Server.Ring;

/// <summary>Creates wait strategies by kind, and reads a kind from its setting name.</summary>
internal static class WaitStrategies
{
    /// <summary>The strategy a ring uses when the setting is absent.</summary>
    /// <remarks>
    /// <c>event-loop</c>: the fan-out owns no thread, so nothing spins, yields or blocks for it and a quote
    /// crosses one wake-up fewer; measured against the thread strategies in docs/performance.md (issue 13).
    /// </remarks>
    public const WaitStrategyKind Default = WaitStrategyKind.EventLoop;

    // Setting names, in the order the error message lists them.
    private static readonly (string Name, WaitStrategyKind Kind)[] s_names =
    [
        ("spin-then-block", WaitStrategyKind.SpinThenBlock),
        ("busy-spin", WaitStrategyKind.BusySpin),
        ("yielding", WaitStrategyKind.Yielding),
        ("blocking", WaitStrategyKind.Blocking),
        ("event-loop", WaitStrategyKind.EventLoop),
    ];

    /// <summary>The setting names, comma-separated, as error messages show them.</summary>
    public static string ValidNames { get; } = string.Join(", ", s_names.Select(n => n.Name));

    /// <summary>Creates a new strategy of <paramref name="kind"/>. Strategies hold the state of
    /// their blocked consumers, so each ring gets its own.</summary>
    public static IWaitStrategy Create(WaitStrategyKind kind) => kind switch
    {
        WaitStrategyKind.SpinThenBlock => new SpinThenBlockWaitStrategy(),
        WaitStrategyKind.BusySpin => new BusySpinWaitStrategy(),
        WaitStrategyKind.Yielding => new YieldingWaitStrategy(),
        WaitStrategyKind.Blocking => new BlockingWaitStrategy(),
        WaitStrategyKind.EventLoop => new SignallingWaitStrategy(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, $"Unknown wait strategy kind; valid names are {ValidNames}."),
    };

    /// <summary>Reads a setting name (case-insensitive, surrounding spaces ignored).</summary>
    /// <exception cref="FormatException">The name is none of <see cref="ValidNames"/>.</exception>
    public static WaitStrategyKind Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!TryParse(name, out var kind))
        {
            throw new FormatException($"'{name}' is not a wait strategy; valid names are {ValidNames}.");
        }

        return kind;
    }

    /// <summary>Reads a setting name (case-insensitive, surrounding spaces ignored).</summary>
    /// <returns><see langword="true"/> if <paramref name="name"/> is one of <see cref="ValidNames"/>.</returns>
    public static bool TryParse([NotNullWhen(true)] string? name, out WaitStrategyKind kind)
    {
        var trimmed = name.AsSpan().Trim();
        foreach (var (candidate, candidateKind) in s_names)
        {
            if (trimmed.Equals(candidate, StringComparison.OrdinalIgnoreCase))
            {
                kind = candidateKind;
                return true;
            }
        }

        kind = Default;
        return false;
    }

    /// <summary>The setting name of <paramref name="kind"/>.</summary>
    public static string NameOf(WaitStrategyKind kind)
    {
        foreach (var (name, candidateKind) in s_names)
        {
            if (candidateKind == kind)
            {
                return name;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(kind), kind, $"Unknown wait strategy kind; valid names are {ValidNames}.");
    }
}
