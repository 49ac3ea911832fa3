using System.Runtime.InteropServices;

namespace PriceFeed.LoadTest.Servers;

/// <summary>Raises the soft limit on open files (<c>ulimit -n</c>) so thousands of sockets fit; children inherit it.</summary>
internal static partial class FileDescriptorLimit
{
    // getrlimit(2): RLIMIT_NOFILE is 7 on Linux.
    private const int RlimitNofile = 7;

    /// <summary>Makes the soft limit at least <paramref name="needed"/> if the hard limit allows; returns a line saying what happened.</summary>
    public static string EnsureAtLeast(long needed)
    {
        if (!OperatingSystem.IsLinux())
        {
            return "open-file limit: not Linux, not checked";
        }

        if (GetRLimit(RlimitNofile, out var limit) != 0)
        {
            return $"open-file limit: getrlimit failed (errno {Marshal.GetLastPInvokeError()}), not checked";
        }

        if (limit.Current >= (ulong)needed)
        {
            return $"open-file limit: {limit.Current} (need {needed}), fine";
        }

        var raised = limit with { Current = Math.Min(limit.Maximum, Math.Max((ulong)needed, 2 * (ulong)needed)) };
        if (SetRLimit(RlimitNofile, raised) != 0 || raised.Current < (ulong)needed)
        {
            return $"open-file limit: {limit.Current}, hard limit {limit.Maximum}, need {needed}: raise it with 'ulimit -n {needed}' (as root: also the hard limit)";
        }

        return $"open-file limit: raised from {limit.Current} to {raised.Current} (need {needed})";
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRLimit(int resource, out RLimit limit);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetRLimit(int resource, in RLimit limit);

    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct RLimit(ulong Current, ulong Maximum);
}
