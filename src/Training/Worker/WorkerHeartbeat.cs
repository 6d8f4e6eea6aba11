using Dashboard.Data;
using Dashboard.Training.Engine;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dashboard.Training.Worker;

/// <summary>
/// Advertises this worker on the Workers page: its devices and slots at start, then every few seconds how many runs
/// it trains. A host that stops beating is shown as lost. Hangfire hands a silent host's jobs out again (the
/// invisibility timeout); the beats are what the host taking one over checks first (<see cref="RunExecutor"/>).
/// </summary>
public sealed class WorkerHeartbeat(IDbContextFactory<DashboardDb> dbs, IOptions<WorkerOptions> options, RunCancellation training,
    IOptions<TrainingOptions> threads, SystemSampler sampler, ILogger<WorkerHeartbeat> log) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    /// <summary>Missing this many heartbeats in a row, a host is shown as lost (Workers page, health command).</summary>
    public static readonly TimeSpan LostAfter = Interval * 4;
    /// <summary>A host silent this long (killed, or its machine gone) leaves the page.</summary>
    private static readonly TimeSpan Forget = TimeSpan.FromDays(1);

    /// <summary>
    /// Since when this host's beats have been stored without a miss; null while the database does not take them.
    /// After an outage every host's last beat is as old as the outage, so another host's beat only says it is gone
    /// once this one has itself been back long enough to have seen it beat again.
    /// </summary>
    public DateTime? ConnectedSince { get; private set; }

    /// <summary>
    /// Which of these hosts (of open attempts) are alive: this process, and any whose last beat is younger than
    /// <see cref="LostAfter"/>, counted from no earlier than this host's own return from an outage. A host missing from
    /// the table stopped on purpose or was forgotten. Beats are stamped by each host's clock: hosts need NTP.
    /// </summary>
    public async Task<HashSet<string>> LivingAsync(DashboardDb db, IReadOnlyCollection<string> hosts, CancellationToken ct)
    {
        var beats = await db.WorkerHosts.AsNoTracking().Where(w => hosts.Contains(w.Name)).Select(w => new { w.Name, w.HeartbeatAt }).ToListAsync(ct);
        var now = DateTime.UtcNow;
        var since = ConnectedSince ?? now;
        var living = beats.Where(b => now - (b.HeartbeatAt > since ? b.HeartbeatAt : since) < LostAfter).Select(b => b.Name).ToHashSet();
        if (hosts.Contains(ProcessIdentity.Name)) living.Add(ProcessIdentity.Name);
        return living;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = DateTime.UtcNow;
        bool hasGpus = options.Value.Devices.Any(d => d.StartsWith("cuda:", StringComparison.Ordinal));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // GPU memory in use changes as runs start and end: asked again at every beat.
                var gpus = hasGpus ? await Task.Run(() => GpuInfo.Query(options.Value.NvidiaSmi), stoppingToken) : [];
                var devices = string.Join(", ", options.Value.Devices.Select(d => d == "cpu" ? DescribeCpu(threads.Value.ThreadPolicy(options.Value.Slots)) : GpuInfo.Describe(d, gpus)));
                await using var db = await dbs.CreateDbContextAsync(stoppingToken);
                var me = await db.WorkerHosts.FindAsync([ProcessIdentity.Name], stoppingToken);
                if (me is null) db.WorkerHosts.Add(me = new WorkerHost { Name = ProcessIdentity.Name, Devices = devices, StartedAt = started });
                me.Devices = devices;
                me.Slots = options.Value.Slots;
                me.Busy = training.Count;
                var figures = sampler.Latest;
                me.CpuPercent = figures?.CpuPercent;
                me.RssGib = figures?.RssGiB;
                me.HostMemoryGib = figures?.HostMemoryGiB;
                me.HostMemoryTotalGib = figures?.HostMemoryTotalGiB;
                me.GpuFigures = figures is null ? null : GpuFigures.ToJson(figures.Gpus);
                var beat = me.HeartbeatAt = DateTime.UtcNow;
                await db.SaveChangesAsync(stoppingToken);
                ConnectedSince ??= beat;
                var forgotten = DateTime.UtcNow - Forget;
                await db.WorkerHosts.Where(w => w.HeartbeatAt < forgotten).ExecuteDeleteAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                ConnectedSince = null;
                log.LogWarning("Heartbeat not recorded: {Message}", e.Message);
            }
            try { await Task.Delay(Interval, stoppingToken); } catch (OperationCanceledException) { }
        }
    }

    /// <summary>A host that stops on purpose leaves the page at once; only one that died is shown as lost.</summary>
    public override async Task StopAsync(CancellationToken ct)
    {
        await base.StopAsync(ct);
        try
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            await db.WorkerHosts.Where(w => w.Name == ProcessIdentity.Name).ExecuteDeleteAsync(ct);
        }
        catch (Exception e)
        {
            log.LogWarning("Could not remove this worker from the Workers page: {Message}", e.Message);
        }
    }

    private static string DescribeCpu(ThreadPolicy threads) =>
        $"cpu ({Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024):F1} GiB; " +
        (threads.Fixed > 0 ? $"{threads.Fixed} {(threads.Fixed == 1 ? "thread" : "threads")} a run, Training:Threads)"
            : threads.Max == 1 ? "1 thread a run)" : $"up to {threads.Max} threads a run, measured per model)");
}
