using Dashboard.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Quartz;

namespace Dashboard.Training.Worker;

/// <summary>
/// Every few seconds on each worker, makes the queue match the runs table, so that no run is left behind by a
/// trigger that was used up without training it:
/// - a queued run without a trigger (a host had not the GPUs it asks for, or stopped while the run waited) is
///   queued again at its own place: its priority and first queueing, ahead of lower priorities queued since;
/// - a running run whose hosts are all gone (<see cref="WorkerHeartbeat.IsLost"/>) is queued for a takeover. Quartz
///   re-fires a dead host's runs by itself, but only once, and a host it took for dead after a database outage may
///   be alive then and die later.
/// Fixed trigger names with <see cref="TriggerConflict.Keep"/>: the keepers of several hosts add each trigger once.
/// </summary>
public sealed class RunQueueKeeper(IDbContextFactory<DashboardDb> dbs, ISchedulerFactory schedulers, RunLauncher launcher,
    WorkerHeartbeat heartbeat, ILogger<RunQueueKeeper> log) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try { await Task.Delay(Interval, stoppingToken); }
            catch (OperationCanceledException) { return; }
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                log.LogWarning("Could not check the queue against the runs: {Message}", e.Message);
            }
        }
    }

    /// <summary>One pass; returns the runs queued again and those queued for a takeover.</summary>
    public async Task<(List<long> Requeued, List<long> TakenOver)> SweepAsync(CancellationToken ct = default)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        var triggered = (await scheduler.GetTriggerKeys(GroupMatcher<TriggerKey>.GroupEquals(TrainRunJob.TriggerFor(0).Group), ct))
            .Select(k => TrainRunJob.RunOf(k)).OfType<long>().ToHashSet();
        await using var db = await dbs.CreateDbContextAsync(ct);
        var queued = await db.Runs.AsNoTracking().Where(r => r.Status == RunStatus.Queued)
            .Select(r => new { r.Id, r.CreatedAt, r.Spec }).ToListAsync(ct);
        var requeued = new List<long>();
        foreach (var run in queued.Where(r => !triggered.Contains(r.Id)))
        {
            await launcher.QueueAsync([new RunLauncher.Queued(run.Id, run.CreatedAt, RunLauncher.PriorityOf(run.Spec))], ct);
            requeued.Add(run.Id);
        }

        var now = DateTime.UtcNow;
        var running = await db.Runs.AsNoTracking().Where(r => r.Status == RunStatus.Running)
            .Select(r => new { r.Id, r.CreatedAt, r.Spec }).ToListAsync(ct);
        var ids = running.Select(r => r.Id).ToList();
        var open = await db.RunAttempts.AsNoTracking().Where(a => ids.Contains(a.RunId) && a.EndedAt == null)
            .Select(a => new { a.RunId, a.Host }).ToListAsync(ct);
        var hosts = open.Select(a => a.Host).Distinct().ToList();
        var beats = await db.WorkerHosts.AsNoTracking().Where(w => hosts.Contains(w.Name)).ToDictionaryAsync(w => w.Name, w => w.HeartbeatAt, ct);
        var takenOver = new List<long>();
        foreach (var run in running)
        {
            if (triggered.Contains(run.Id)) continue;  // a takeover already queued
            bool orphaned = open.Where(a => a.RunId == run.Id)
                .All(a => heartbeat.IsLost(a.Host, beats.TryGetValue(a.Host, out var beat) ? beat : null, now));
            if (!orphaned) continue;
            await launcher.QueueTakeoverAsync(new RunLauncher.Queued(run.Id, run.CreatedAt, RunLauncher.PriorityOf(run.Spec)), ct);
            takenOver.Add(run.Id);
        }
        foreach (var id in requeued) log.LogInformation("Run {RunId} was queued without a trigger; queued again", id);
        foreach (var id in takenOver) log.LogWarning("Run {RunId}: every host training it is gone; queued for a takeover", id);
        return (requeued, takenOver);
    }
}
