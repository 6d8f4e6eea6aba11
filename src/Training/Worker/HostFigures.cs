namespace Dashboard.Training.Worker;

/// <summary>
/// What a worker host's sampler saw last (<see cref="SystemSampler"/>): the worker process's CPU (100% is one core
/// busy, so two cores are 200%) and resident memory, the host's memory in use and in all, and its GPUs. Shown on the
/// Workers page through the heartbeat.
/// </summary>
public sealed record HostFigures(DateTime Time, double CpuPercent, double RssGiB, double? HostMemoryGiB, double? HostMemoryTotalGiB,
    IReadOnlyList<GpuFigures> Gpus)
{
    private const double GiB = 1024.0 * 1024 * 1024;

    /// <summary>This process's resident memory (what the kernel counts as its RSS).</summary>
    public static double ProcessRssGiB() => Environment.WorkingSet / GiB;

    /// <summary>CPU time this process has used, all its threads together.</summary>
    public static TimeSpan ProcessCpuTime() => Environment.CpuUsage.TotalTime;

    /// <summary>
    /// The host's memory in use (MemTotal less MemAvailable, as <c>free</c> counts it: the page cache the kernel would
    /// give back is not in use) and in all, from /proc/meminfo; nulls where there is no /proc (not Linux).
    /// </summary>
    public static (double? Used, double? Total) HostMemory()
    {
        try
        {
            long total = -1, available = -1;
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (line.StartsWith("MemTotal:", StringComparison.Ordinal)) total = Kib(line);
                else if (line.StartsWith("MemAvailable:", StringComparison.Ordinal)) available = Kib(line);
                if (total >= 0 && available >= 0) return ((total - available) * 1024 / GiB, total * 1024 / GiB);
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return (null, null);
    }

    // "MemTotal:       16314800 kB"
    private static long Kib(string line) =>
        long.TryParse(line.AsSpan(line.IndexOf(':') + 1).Trim().TrimEnd("kB").Trim(), out var v) ? v : -1;
}
