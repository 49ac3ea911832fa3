using System.Diagnostics;

namespace PriceFeed.Tests.Clients;

/// <summary>Waits for an asynchronous condition by polling it with a timeout: the client tests never sleep for correctness.</summary>
internal static class Poll
{
    /// <summary>Generous, so that a busy build machine cannot fail a correct test; reconnects take seconds.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan s_interval = TimeSpan.FromMilliseconds(50);

    /// <summary>Returns once <paramref name="condition"/> holds; fails with <paramref name="what"/> and the server's output if it does not in time.</summary>
    public static Task UntilAsync(Func<Task<bool>> condition, string what, FeedServerProcess? server = null) =>
        UntilAsync(condition, () => what, server);

    /// <summary>As above, with a description built at the timeout, so that it can show the state that was not reached.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, Func<string> what, FeedServerProcess? server = null)
    {
        var stopwatch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (stopwatch.Elapsed > DefaultTimeout)
            {
                Assert.Fail($"Timed out after {DefaultTimeout.TotalSeconds} s waiting until {what()}.{Environment.NewLine}{server?.Output}");
            }

            await Task.Delay(s_interval);
        }
    }

    /// <inheritdoc cref="UntilAsync(Func{Task{bool}}, string, FeedServerProcess?)"/>
    public static Task UntilAsync(Func<bool> condition, string what, FeedServerProcess? server = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, server);
}
