using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PriceFeed.Server.Ring;

/// <summary>
/// A sequence number (the producer's cursor or a consumer's progress), padded so that it owns
/// its cache line.
/// </summary>
/// <remarks>
/// <para>Thread-safe: one thread writes it (the producer for the cursor, the consumer for its
/// own progress) and any thread may read it. <see cref="Value"/> is an acquire read and
/// <see cref="SetValue"/> a release store, which is all the ring needs to hand a slot from one
/// thread to the other; <see cref="SetValueVolatile"/> adds a full fence for the rare writer
/// that must also order a later read.</para>
/// <para>The producer writes the cursor millions of times a second while the consumer writes
/// its own sequence just as often. If both longs shared a 64-byte cache line, each write would
/// steal the line from the other core (false sharing). 56 bytes on each side of the value make
/// sure no other hot field can land on the value's line, whatever the object's alignment.</para>
/// </remarks>
[StructLayout(LayoutKind.Explicit)]
internal sealed class Sequence
{
    /// <summary>The value of a sequence before anything is published or processed.</summary>
    public const long InitialValue = -1;

    /// <summary>Offset of the value from the start of the instance's fields.</summary>
    internal const int ValueOffset = CacheLinePadding.Size;

    /// <summary>Size of the instance's fields: padding, value, padding.</summary>
    internal const int Size = CacheLinePadding.Size + sizeof(long) + CacheLinePadding.Size;

#pragma warning disable CS0169 // The padding fields exist to take up room; nothing reads or writes them.
    // Bytes 0..55: padding before the value.
    [FieldOffset(0)]
    private readonly CacheLinePadding _paddingBefore;

    // Bytes 56..63: the value.
    [FieldOffset(ValueOffset)]
    private long _value;

    // Bytes 64..119: padding after the value. Declared, not left to StructLayout.Size, which
    // the runtime ignores for classes.
    [FieldOffset(ValueOffset + sizeof(long))]
    private readonly CacheLinePadding _paddingAfter;
#pragma warning restore CS0169

    /// <summary>Creates a sequence at <paramref name="initialValue"/>.</summary>
    public Sequence(long initialValue = InitialValue) => Volatile.Write(ref _value, initialValue);

    /// <summary>The current value, read with acquire semantics.</summary>
    public long Value
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Volatile.Read(ref _value);
    }

    /// <summary>Stores <paramref name="value"/> with release semantics: writes made before it
    /// are visible to a thread that reads the new value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetValue(long value) => Volatile.Write(ref _value, value);

    /// <summary>Stores <paramref name="value"/> followed by a full fence, so that no later read
    /// moves before the store (a store-load barrier).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetValueVolatile(long value) => Interlocked.Exchange(ref _value, value);

    /// <summary>Sets the value to <paramref name="newValue"/> if it is <paramref name="expectedValue"/>.</summary>
    /// <returns><see langword="true"/> if the value was replaced.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool CompareAndSet(long expectedValue, long newValue) =>
        Interlocked.CompareExchange(ref _value, newValue, expectedValue) == expectedValue;

    /// <summary>Atomically adds one.</summary>
    /// <returns>The value after the increment.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long IncrementAndGet() => Interlocked.Increment(ref _value);

    /// <summary>Atomically adds <paramref name="increment"/>.</summary>
    /// <returns>The value after the addition.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long AddAndGet(long increment) => Interlocked.Add(ref _value, increment);

    /// <inheritdoc/>
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
