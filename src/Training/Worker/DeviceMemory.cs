using System.Globalization;
using System.Text.RegularExpressions;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dashboard.Training.Worker;

/// <summary>
/// How much memory a device has, as far as the database knows: what the worker hosts report at each heartbeat
/// (Workers page: "cpu (16 cores, 125.8 GiB)", "cuda:0 (NVIDIA H100 80GB HBM3, 80 GiB, 1.0 GiB used)"), and this
/// machine's own memory when it trains itself. A run may train on any host that offers its device, so the limit is
/// the largest memory any of them has: a launch is refused only when no known host could hold the run.
/// </summary>
public sealed partial class DeviceMemory(IDbContextFactory<DashboardDb> dbs, IOptions<WorkerOptions> worker)
{
    /// <summary>
    /// The total memory, not what is free: free memory changes by the minute with other runs and the page cache, and
    /// a queued run trains later, so a launch would be refused or not by chance. The total is what a run can never
    /// exceed. It is the runtime's figure, which is the machine's memory or the container's limit.
    /// </summary>
    public static long ThisMachine => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>For each device some host trains on, the most memory it has on any of them. A device missing here
    /// (a GPU without nvidia-smi, or one no host offers yet) has no known limit, and nothing is refused against it.</summary>
    public async Task<IReadOnlyDictionary<string, long>> LimitsAsync(CancellationToken ct = default)
    {
        var limits = new Dictionary<string, long>();
        if (worker.Value.Enabled && worker.Value.Devices.Contains("cpu")) limits["cpu"] = ThisMachine;
        await using var db = await dbs.CreateDbContextAsync(ct);
        foreach (var report in await db.WorkerHosts.AsNoTracking().Select(w => w.Devices).ToListAsync(ct))
            foreach (var (device, bytes) in Parse(report))
                if (bytes > limits.GetValueOrDefault(device)) limits[device] = bytes;
        return limits;
    }

    /// <summary>The memory of each device a heartbeat's text names with its size (GiB, as the heartbeat writes it).</summary>
    public static Dictionary<string, long> Parse(string devices)
    {
        var found = new Dictionary<string, long>();
        foreach (Match m in Reported().Matches(devices))
        {
            var device = m.Groups["cpu"].Success ? "cpu" : m.Groups["gpu"].Value;
            var gib = double.Parse(m.Groups["cpu"].Success ? m.Groups["cpuGib"].Value : m.Groups["gpuGib"].Value, CultureInfo.InvariantCulture);
            found[device] = (long)(gib * 1024 * 1024 * 1024);
        }
        return found;
    }

    [GeneratedRegex(@"(?<cpu>cpu) \(\d+ cores, (?<cpuGib>\d+(?:\.\d+)?) GiB\)|(?<gpu>cuda:\d+) \([^()]*, (?<gpuGib>\d+(?:\.\d+)?) GiB, \d+(?:\.\d+)? GiB used\)")]
    private static partial Regex Reported();
}
