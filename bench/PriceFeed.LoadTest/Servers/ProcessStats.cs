using System.Globalization;

namespace PriceFeed.LoadTest.Servers;

/// <summary>A process's CPU time and memory, read from <c>/proc/&lt;pid&gt;</c>.</summary>
/// <param name="CpuTime">User plus system time so far (<c>utime + stime</c> of <c>/proc/pid/stat</c>).</param>
/// <param name="RssBytes">Resident set now (<c>VmRSS</c>).</param>
/// <param name="PeakRssBytes">The highest resident set so far (<c>VmHWM</c>).</param>
internal readonly record struct ProcessStats(TimeSpan CpuTime, long RssBytes, long PeakRssBytes)
{
    // proc(5): utime and stime are in clock ticks of USER_HZ, which the kernel fixes at 100 for user space.
    private const int UserHz = 100;

    /// <summary>Reads the stats of <paramref name="pid"/>; null when it has gone or this is not Linux.</summary>
    public static ProcessStats? Read(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);

            long rss = 0, peak = 0;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = Kilobytes(line);
                }
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    peak = Kilobytes(line);
                }
            }

            return new ProcessStats(TimeSpan.FromSeconds((double)ticks / UserHz), rss, peak);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    // "VmRSS:     123456 kB"
    private static long Kilobytes(string line) =>
        1024 * long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
}
