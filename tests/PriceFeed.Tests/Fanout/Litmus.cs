namespace PriceFeed.Tests.Fanout;

/// <summary>
/// Runs a litmus test: two operations released together on two threads, many times over, with a
/// fresh state before each round and a check after both are done.
/// </summary>
/// <remarks>
/// Bounded by the number of rounds, not by time. The second thread is started once and kept; each
/// round both threads wait for the same go signal (spinning, so they start within a few hundred
/// nanoseconds of each other), then the right one waits a little longer, a different time each round
/// (0 to <c>stagger</c> spin iterations), so the two critical windows slide past each other
/// across the rounds wherever in each operation they sit.
/// </remarks>
internal static class Litmus
{
    public static void Run(int rounds, Action<int> setup, Action<int> left, Action<int> right, Action<int> check, int stagger = 64)
    {
        var go = -1;
        var leftDone = -1;
        Exception? leftFailure = null;
        var thread = new Thread(() =>
        {
            for (var round = 0; round < rounds; round++)
            {
                WaitFor(ref go, round);
                try
                {
                    left(round);
                }
                catch (Exception ex)
                {
                    leftFailure ??= ex;
                }

                Volatile.Write(ref leftDone, round);
            }
        })
        { IsBackground = true, Name = "litmus-left" };
        thread.Start();
        try
        {
            for (var round = 0; round < rounds; round++)
            {
                setup(round);
                Volatile.Write(ref go, round);
                Thread.SpinWait(round % (stagger + 1));
                right(round);
                WaitFor(ref leftDone, round);
                if (leftFailure is not null)
                {
                    throw new InvalidOperationException($"round {round}: the left operation failed", leftFailure);
                }

                check(round);
            }
        }
        finally
        {
            // Lets the left thread finish its rounds even when a check failed, so it does not outlive the test.
            Volatile.Write(ref go, rounds);
            thread.Join();
        }
    }

    private static void WaitFor(ref int value, int round)
    {
        var spinner = new SpinWait();
        while (Volatile.Read(ref value) < round)
        {
            // Yields now and then (never sleeps), so two spinning threads cannot starve each other on a busy machine.
            spinner.SpinOnce(sleep1Threshold: -1);
        }
    }
}
