using System.Reflection;
using DotNetty.Common.Concurrency;
using DotNetty.Transport.Channels;

namespace PriceFeed.Server.Transport;

/// <summary>Stops a group of DotNetty event loops, also when DotNetty 0.7.6's graceful shutdown would spin for ever.</summary>
/// <remarks>
/// <para>DotNetty 0.7.6 (the version pinned here) ends a loop with <c>while (!ConfirmShutdown()) { }</c>. Once shutting
/// down, <c>ConfirmShutdown</c> runs the queued tasks and, if there were any, queues a wake-up task and answers "not
/// yet"; the next call runs that wake-up task, so it queues another: a task that lands on the loop in the instant
/// between its last normal run and that final loop (a socket completion, a task from another thread) keeps the thread
/// spinning for ever and the termination never completes (seen in our tests' shutdowns; Azure/DotNetty pull request
/// 522 describes it). A loop flooded with tasks from another thread never completes either.</para>
/// <para>The loop does stop when it reads the executor's state as "shut down" (4) after running its tasks, which the
/// graceful path never sets. So after the graceful timeout (and a margin) we set it on each loop not terminated yet:
/// the loop then leaves at its next check and terminates (a test shows it on a loop whose shutdown always finds work).
/// The state is a private field: <see cref="CanForce"/> says whether this DotNetty has it, and a test pins it.</para>
/// </remarks>
internal static class EventLoopShutdown
{
    private const int ShutDownState = 4;

    private static readonly FieldInfo? s_state =
        typeof(SingleThreadEventExecutor).GetField("executionState", BindingFlags.Instance | BindingFlags.NonPublic) is { } field
        && field.FieldType == typeof(int) ? field : null;

    /// <summary>True when the loops' state can be forced (the DotNetty in use has the field this relies on).</summary>
    public static bool CanForce => s_state is not null;

    /// <summary>
    /// Shuts <paramref name="group"/> down gracefully with <paramref name="timeout"/>; a loop still not terminated a
    /// second after that is forced to stop. Returns how many loops had to be forced.
    /// </summary>
    public static async Task<int> ShutdownAsync(MultithreadEventLoopGroup group, TimeSpan timeout)
    {
        // No quiet period: with one, DotNetty 0.7.6 never sees the loop as quiet and always waits out the whole timeout.
        var terminated = group.ShutdownGracefullyAsync(TimeSpan.Zero, timeout);
        if (await Task.WhenAny(terminated, Task.Delay(timeout + TimeSpan.FromSeconds(1))).ConfigureAwait(false) == terminated)
        {
            return 0;
        }

        var forced = 0;
        foreach (var loop in group.Items.OfType<SingleThreadEventExecutor>())
        {
            if (!loop.IsTerminated && s_state is not null)
            {
                s_state.SetValue(loop, ShutDownState);
                forced++;
            }
        }

        await Task.WhenAny(terminated, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
        return forced;
    }
}
