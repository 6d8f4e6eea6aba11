using System.Collections.Concurrent;
using System.Threading.Channels;
using Dashboard.Data;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dashboard.Training.Alerts;

/// <summary>
/// Finds the alerts to fire, in every process, from the run events this process itself publishes: a run's end is
/// published by the process that recorded it (a worker host, or the embedded web process), and a run's points by the
/// process whose writer stored them, so each is seen by one process of a cluster, never by every web node (events heard
/// from other processes are left to them). What it fires is stored once per rule, run and event (a unique index), so
/// a second look, or a second host after a takeover, fires nothing again.
///
/// Thresholds are judged from the stored metric summaries (each key's lowest and highest value so far) right after
/// the writer stored the run's points, so a value logged at an epoch's end is judged within a second of it, whichever
/// step it came at; the rule fires the first time the summary shows it crossed, and never again for that run.
///
/// The trainer and the writer only hand a run id over (a dictionary write); the queries, the payload and the queueing
/// of the webhook's job happen here, on a loop of its own, at most twice a second.
/// </summary>
public sealed class AlertWatch(IDbContextFactory<DashboardDb> dbs, RunEvents events, IBackgroundJobClient jobs,
    AlertsOptions options, StorageOptions storage, ILogger<AlertWatch> log) : BackgroundService
{
    public const string Queue = "alerts";
    private static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(500);

    [Flags]
    private enum Seen { Metrics = 1, Status = 2 }

    private readonly ConcurrentDictionary<long, Seen> _pending = new();
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    /// <summary>Threshold rules that fired (or found fired) for a run: not looked at again.</summary>
    private readonly HashSet<(long Rule, long Run)> _done = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var subscription = events.Subscribe(e =>
        {
            if (e.Remote || e.Kind == RunEventKind.AlertFired) return;
            var seen = e.Kind == RunEventKind.MetricsWritten ? Seen.Metrics : Seen.Status;
            _pending.AddOrUpdate(e.RunId, seen, (_, s) => s | seen);
            _wake.Writer.TryWrite(true);
        });
        try { await RequeueAsync(stoppingToken); }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested) { log.LogWarning("Could not queue the webhooks left pending ({Message})", e.Message); }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _wake.Reader.ReadAsync(stoppingToken);
                var runs = new Dictionary<long, Seen>();
                foreach (var id in _pending.Keys)
                    if (_pending.TryRemove(id, out var s)) runs[id] = s;
                await CheckAsync(runs, stoppingToken);
                await Task.Delay(Pace, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
            catch (Exception e)
            {
                // The database away: the runs' ends are looked at again with their next event (or not, if none comes).
                log.LogWarning("Alerts not checked ({Message})", e.Message);
                try { await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken); } catch (OperationCanceledException) { }
            }
        }
    }

    private async Task CheckAsync(Dictionary<long, Seen> seen, CancellationToken ct)
    {
        if (seen.Count == 0) return;
        await using var db = await dbs.CreateDbContextAsync(ct);
        // Read at every look (a small table, at most twice a second): a rule added while a short run trains must see
        // its points, and a cached list could miss them all.
        var rules = await db.AlertRules.AsNoTracking()
            .Where(r => r.Enabled && !db.Users.Any(u => u.Name == r.Owner && u.Disabled)).ToListAsync(ct);
        if (rules.Count == 0) return;
        var ids = seen.Keys.ToList();
        var runs = await db.Runs.AsNoTracking().Where(r => ids.Contains(r.Id)).ToListAsync(ct);
        foreach (var run in runs)
        {
            var covering = rules.Where(r => r.Covers(run)).ToList();
            if (covering.Count == 0) continue;
            // A run's points are judged on every event: its last batch may be stored just before its end is recorded.
            await ThresholdsAsync(db, run, covering.Where(r => r.HasThreshold && !_done.Contains((r.Id, run.Id))).ToList(), ct);
            if (AlertEvents.OfStatus(run.Status) is { } ended && seen[run.Id].HasFlag(Seen.Status))
            {
                foreach (var rule in covering.Where(r => r.EventList.Contains(ended)))
                    await FireAsync(db, rule, run, ended, null, ct);
                // Its points are all stored before its end is recorded: nothing more to judge (and the table would say so).
                _done.RemoveWhere(d => d.Run == run.Id);
            }
        }
    }

    private async Task ThresholdsAsync(DashboardDb db, Run run, List<AlertRule> rules, CancellationToken ct)
    {
        if (rules.Count == 0) return;
        var keys = rules.Select(r => r.MetricKey!).Distinct().ToList();
        var summaries = await db.MetricSummaries.AsNoTracking().Where(m => m.RunId == run.Id && keys.Contains(m.Key)).ToListAsync(ct);
        foreach (var rule in rules)
        {
            if (summaries.FirstOrDefault(m => m.Key == rule.MetricKey) is not { } m) continue;
            if (!AlertComparisons.Crossed(rule.Comparison!, m.MinValue, m.MaxValue, rule.Threshold!.Value)) continue;
            var reached = rule.Comparison!.StartsWith('>') ? m.MaxValue : m.MinValue;
            await FireAsync(db, rule, run, AlertEvents.Threshold, new AlertPayload.Crossing(m.Key, rule.Comparison, rule.Threshold.Value, reached), ct);
            _done.Add((rule.Id, run.Id));
        }
    }

    private async Task FireAsync(DashboardDb db, AlertRule rule, Run run, string @event, AlertPayload.Crossing? crossing, CancellationToken ct)
    {
        if (await db.AlertDeliveries.AnyAsync(d => d.RuleId == rule.Id && d.RunId == run.Id && d.Event == @event, ct)) return;
        var metrics = await db.MetricSummaries.AsNoTracking().Where(m => m.RunId == run.Id).ToListAsync(ct);
        var now = DateTime.UtcNow;
        var delivery = new AlertDelivery
        {
            RuleId = rule.Id, RunId = run.Id, Owner = rule.Owner, Event = @event, Url = rule.WebhookUrl, Browser = rule.Browser,
            Summary = AlertPayload.Summary(run, @event, crossing),
            Payload = AlertPayload.Build(rule, run, @event, metrics, crossing, options.RunLink(run.Id), now),
            Status = rule.WebhookUrl is null ? DeliveryStatus.BrowserOnly : DeliveryStatus.Pending, CreatedAt = now,
        };
        db.AlertDeliveries.Add(delivery);
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException)
        {
            // Stored by another look a moment ago (the unique index: that one sends it), or its rule or run was just deleted.
            db.ChangeTracker.Clear();
            return;
        }
        log.LogInformation("Alert {Delivery} for {Owner}: {Summary}", delivery.Id, rule.Owner, delivery.Summary);
        if (delivery.Url is not null) Enqueue(delivery.Id);
        if (delivery.Browser) events.Publish(new RunEvent(run.Id, RunEventKind.AlertFired));
    }

    private void Enqueue(long deliveryId) => AlertDeliveryJob.Enqueue(jobs, deliveryId);

    /// <summary>
    /// In the embedded mode Hangfire's queue is in memory, so the webhooks a previous process left unsent are queued
    /// again here (the delivery rows say which). A cluster's queue is in PostgreSQL and outlives its processes.
    /// </summary>
    private async Task RequeueAsync(CancellationToken ct)
    {
        if (storage.Provider != StorageProvider.Sqlite) return;
        await using var db = await dbs.CreateDbContextAsync(ct);
        var left = await db.AlertDeliveries.Where(d => d.Status == DeliveryStatus.Pending || d.Status == DeliveryStatus.Retrying)
            .OrderBy(d => d.Id).Select(d => d.Id).ToListAsync(ct);
        foreach (var id in left) Enqueue(id);
        if (left.Count > 0) log.LogInformation("Queued {Count} webhooks left unsent", left.Count);
    }
}
