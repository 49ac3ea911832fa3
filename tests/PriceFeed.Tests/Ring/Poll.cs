using System.Diagnostics;

namespace PriceFeed.Tests.Ring;

/// <summary>Waits for a condition by polling it, with a timeout: the tests never sleep for correctness.</summary>
internal static class Poll
{
    /// <summary>Generous, so that a busy build machine cannot fail a correct test.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Returns once <paramref name="condition"/> holds; fails the test with
    /// <paramref name="what"/> if it does not within <see cref="DefaultTimeout"/>.</summary>
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
}
