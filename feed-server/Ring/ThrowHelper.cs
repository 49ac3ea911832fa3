using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace PriceFeed.Server.Ring;

/// <summary>
/// Builds and throws the ring's exceptions out of line, so that the checks on the hot path
/// stay small enough to inline.
/// </summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowBufferSizeNotPowerOfTwo(int bufferSize, string paramName) =>
        throw new ArgumentOutOfRangeException(
            paramName,
            bufferSize,
            $"The ring's buffer size must be a power of two greater than zero (1, 2, 4, ..., 1073741824), but was {bufferSize}. " +
            "Round it up to the next power of two: the ring finds a slot with a mask instead of a division.");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowClaimSizeOutOfRange(int n, int bufferSize) =>
        throw new ArgumentOutOfRangeException(
            nameof(n),
            n,
            $"A claim must be for 1 to {bufferSize} slots (the buffer size), but was for {n}.");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowAlert() => throw AlertException.Instance;

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowAlreadyRunning() =>
        throw new InvalidOperationException(
            "The event processor is already running: a processor runs on one thread at a time. Halt it and wait for it to stop before running it again.");
}
