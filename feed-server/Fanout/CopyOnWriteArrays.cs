namespace PriceFeed.Server.Fanout;

/// <summary>The registries' copy-on-write arrays: a change builds a new array and publishes it with a release, so the
/// fan-out thread reads a whole array, old or new, with no lock. Callers serialize changes under their own lock.</summary>
internal static class CopyOnWriteArrays
{
    /// <summary>Publishes <paramref name="slot"/> with <paramref name="item"/> appended.</summary>
    public static void Add<T>(ref T[] slot, T item) => Volatile.Write(ref slot, [.. slot, item]);

    /// <summary>Publishes <paramref name="slot"/> without <paramref name="item"/>; false when it was not there.</summary>
    public static bool Remove<T>(ref T[] slot, T item)
        where T : class
    {
        var index = Array.IndexOf(slot, item);
        if (index < 0)
        {
            return false;
        }

        var next = new T[slot.Length - 1];
        slot.AsSpan(0, index).CopyTo(next);
        slot.AsSpan(index + 1).CopyTo(next.AsSpan(index));
        Volatile.Write(ref slot, next);
        return true;
    }
}
