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
/// - a running run whose hosts are all gone (<see cref="WorkerHeartbeat.LivingAsync"/>) is queued for a takeover. Quartz
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
        var triggered = (await scheduler.GetTriggerKeys(GroupMatcher<TriggerKey>.GroupEquals(TrainRunJob.Group), ct))
            .Select(TrainRunJob.RunOf).OfType<long>().ToHashSet();
        await using var db = await dbs.CreateDbContextAsync(ct);
        // Queued or running, and no trigger of its own: a running run's trigger stays until its job ends.
        var untriggered = (await db.Runs.AsNoTracking().Where(r => r.Status == RunStatus.Queued || r.Status == RunStatus.Running)
            .Select(r => new { r.Id, r.Status, r.CreatedAt, r.Spec }).ToListAsync(ct))
            .Where(r => !triggered.Contains(r.Id))
            .Select(r => (r.Id, r.Status, Queued: new RunLauncher.Queued(r.Id, r.CreatedAt, RunLauncher.PriorityOf(r.Spec)))).ToList();

        var requeued = untriggered.Where(r => r.Status == RunStatus.Queued).ToList();
        await launcher.QueueAsync(requeued.Select(r => r.Queued), ct);

        var running = untriggered.Where(r => r.Status == RunStatus.Running).ToList();
        var ids = running.Select(r => r.Id).ToList();
        var open = await db.RunAttempts.AsNoTracking().Where(a => ids.Contains(a.RunId) && a.EndedAt == null)
            .Select(a => new { a.RunId, a.Host }).ToListAsync(ct);
        var living = await heartbeat.LivingAsync(db, open.Select(a => a.Host).Distinct().ToList(), ct);
        var takenOver = running.Where(r => !open.Any(a => a.RunId == r.Id && living.Contains(a.Host))).ToList();
        foreach (var run in takenOver) await launcher.QueueTakeoverAsync(run.Queued, ct);

        foreach (var run in requeued) log.LogInformation("Run {RunId} was queued without a trigger; queued again", run.Id);
        foreach (var run in takenOver) log.LogWarning("Run {RunId}: every host training it is gone; queued for a takeover", run.Id);
        return ([.. requeued.Select(r => r.Id)], [.. takenOver.Select(r => r.Id)]);
    }
}
