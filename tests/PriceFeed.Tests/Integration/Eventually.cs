using System.Diagnostics;

namespace PriceFeed.Tests.Integration;

/// <summary>Waits for a condition on a real server by polling it, with a timeout: these tests never sleep for correctness.</summary>
internal static class Eventually
{
    /// <summary>Generous: two cores shared with other builds can stall a correct server for seconds.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan s_pollInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>Returns once <paramref name="condition"/> holds; fails the test naming <paramref name="what"/> if it
    /// does not within <paramref name="timeout"/> (default <see cref="DefaultTimeout"/>).</summary>
    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, timeout);

    /// <summary>As <see cref="UntilAsync(Func{bool}, string, TimeSpan?)"/>, for a condition that asks the server.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var stopwatch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (stopwatch.Elapsed > limit)
            {
                Assert.Fail($"Timed out after {limit.TotalSeconds} s waiting until {what}.");
            }

            await Task.Delay(s_pollInterval);
        }
    }

    /// <summary>A token that cancels after <see cref="DefaultTimeout"/>, for one network operation.</summary>
    public static CancellationTokenSource Deadline(TimeSpan? timeout = null) => new(timeout ?? DefaultTimeout);

    /// <summary>Awaits <paramref name="task"/>, failing the test naming <paramref name="what"/> if it takes longer than the timeout.</summary>
    public static async Task<T> WithinAsync<T>(Task<T> task, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        if (await Task.WhenAny(task, Task.Delay(limit)) != task)
        {
            Assert.Fail($"Timed out after {limit.TotalSeconds} s waiting for {what}.");
        }

        return await task;
    }
}
