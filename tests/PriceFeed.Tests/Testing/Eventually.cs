using System.Diagnostics;

namespace PriceFeed.Tests.Testing;

/// <summary>
/// Waits for a condition by polling it, with a timeout: the tests never sleep for correctness. The one
/// poll helper of the test project, for in-process servers, server processes, clients and threads alike.
/// </summary>
internal static class Eventually
{
    /// <summary>
    /// 30 s: generous, so that two cores shared with other builds cannot fail a correct test (a reconnect
    /// with backoff takes seconds); a wait that times out fails the test, so only a failing test pays it.
    /// </summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan s_pollInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>Returns once <paramref name="condition"/> holds; fails the test naming <paramref name="what"/> if it
    /// does not within <paramref name="timeout"/> (default <see cref="DefaultTimeout"/>).</summary>
    /// <param name="detail">More for the failure message, read at the timeout: a server process's output, for example.</param>
    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null, Func<string>? detail = null) =>
        UntilAsync(() => Task.FromResult(condition()), () => what, timeout, detail);

    /// <summary>As <see cref="UntilAsync(Func{bool}, string, TimeSpan?, Func{string}?)"/>, for a condition that asks a server.</summary>
    public static Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null, Func<string>? detail = null) =>
        UntilAsync(condition, () => what, timeout, detail);

    /// <summary>As above, with a description built at the timeout, so that it can show the state that was not reached.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, Func<string> what, TimeSpan? timeout = null, Func<string>? detail = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var stopwatch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (stopwatch.Elapsed > limit)
            {
                Assert.Fail($"Timed out after {limit.TotalSeconds} s waiting until {what()}.{(detail is null ? "" : Environment.NewLine + detail())}");
            }

            await Task.Delay(s_pollInterval);
        }
    }

    /// <summary>Returns once <paramref name="condition"/> holds, spinning on this thread (for tests of threads that
    /// hand work to each other in microseconds); fails the test naming <paramref name="what"/> after <see cref="DefaultTimeout"/>.</summary>
    public static void Until(Func<bool> condition, string what)
    {
        var stopwatch = Stopwatch.StartNew();
        var spinner = default(SpinWait);
        while (!condition())
        {
            if (stopwatch.Elapsed > DefaultTimeout)
            {
                Assert.Fail($"Timed out after {DefaultTimeout.TotalSeconds} s waiting until {what}.");
            }

            spinner.SpinOnce();
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
