using DotNetty.Common.Concurrency;
using DotNetty.Transport.Channels;
using PriceFeed.Server.Transport;

namespace PriceFeed.Tests.Transport;

/// <summary>
/// The event loops stop even when DotNetty 0.7.6's graceful shutdown would not (EventLoopShutdown's remarks): a loop
/// whose shutdown always finds something to run never completes, as one that got a task at the wrong instant spins in
/// its final loop; it is stopped by forcing the executor's state.
/// </summary>
public sealed class EventLoopShutdownTests
{
    [Fact]
    public void TheDotNettyInUseHasTheStateTheWorkaroundSets() =>
        Assert.True(EventLoopShutdown.CanForce, "DotNetty's SingleThreadEventExecutor no longer has an int executionState: revisit EventLoopShutdown.");

    [Fact]
    public async Task AnIdleGroupStopsGracefullyWithNothingForced()
    {
        var group = new MultithreadEventLoopGroup(2);
        await group.GetNext().SubmitAsync(() => 1);

        var forced = await EventLoopShutdown.ShutdownAsync(group, TimeSpan.FromSeconds(2));

        Assert.Equal(0, forced);
        Assert.True(group.IsTerminated);
    }

    [Fact]
    public async Task ALoopWhoseGracefulShutdownNeverEndsIsStoppedAfterTheTimeout()
    {
        var group = new MultithreadEventLoopGroup(1);
        var loop = (SingleThreadEventExecutor)group.GetNext();
        // A shutdown hook that queues a task that adds the hook again: each time the graceful shutdown looks, it finds
        // something to run and looks again, for ever, as DotNetty's final loop does after an ill-timed task.
        Action hook = null!;
        hook = () => loop.Execute(() => loop.AddShutdownHook(hook));
        loop.AddShutdownHook(hook);
        await loop.SubmitAsync(() => 0);

        var forced = await EventLoopShutdown.ShutdownAsync(group, TimeSpan.FromMilliseconds(200));

        Assert.Equal(1, forced);
        Assert.True(group.IsTerminated, "the forced loop did not terminate");
    }
}
