using Dashboard.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dashboard.Training.Worker;

public enum CancelOutcome { NotFound, AlreadyFinished, Cancelled, Requested }

/// <summary>
/// Cancelling a run wherever it is. A queued run is cancelled at once (its job, when a host takes it, finds it
/// finished and does nothing). For a running run the
/// request is stored; the process training it (this one or another host) hears of it by the run's StatusChanged
/// event (in-process, or LISTEN/NOTIFY on PostgreSQL) and, should that be missed, by polling every two seconds, and
/// stops the trainer through the run's cancellation token.
/// </summary>
public sealed class RunCancellation(IDbContextFactory<DashboardDb> dbs, RunEvents events,
    ILogger<RunCancellation> log) : BackgroundService
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(2);
    private readonly Dictionary<long, Registration> _training = [];
    private readonly SemaphoreSlim _check = new(0);

    /// <param name="by">The user asking, recorded and shown with the run.</param>
    public async Task<CancelOutcome> RequestAsync(long runId, string? by = null, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var now = DateTime.UtcNow;
        // Conditional updates, so that a run starting or ending meanwhile is never cancelled twice or un-finished.
        if (await db.Runs.Where(r => r.Id == runId && r.Status == RunStatus.Queued).ExecuteUpdateAsync(u => u
                .SetProperty(r => r.Status, RunStatus.Cancelled)
                .SetProperty(r => r.FinishedAt, now)
                .SetProperty(r => r.CancelledBy, by)
                .SetProperty(r => r.Error, "cancelled before it started"), ct) == 1)
        {
            events.Publish(new RunEvent(runId, RunEventKind.StatusChanged));
            return CancelOutcome.Cancelled;
        }
        if (await db.Runs.Where(r => r.Id == runId && r.Status == RunStatus.Running).ExecuteUpdateAsync(u => u
                .SetProperty(r => r.CancelRequestedAt, now)
                .SetProperty(r => r.CancelledBy, by), ct) == 1)
        {
            events.Publish(new RunEvent(runId, RunEventKind.StatusChanged));
            return CancelOutcome.Requested;
        }
        return await db.Runs.AnyAsync(r => r.Id == runId, ct) ? CancelOutcome.AlreadyFinished : CancelOutcome.NotFound;
    }

    /// <summary>Runs training in this process now.</summary>
    public int Count
    {
        get { lock (_training) return _training.Count; }
    }

    /// <summary>The token that stops this run's trainer when a cancel is requested; dispose the result when it ends.</summary>
    public Registration Register(long runId, long attemptId)
    {
        var registration = new Registration(this, runId, attemptId, new CancellationTokenSource());
        lock (_training) _training[runId] = registration;
        _check.Release();  // a request may have come before the run started here
        return registration;
    }

    public sealed class Registration(RunCancellation owner, long runId, long attemptId, CancellationTokenSource cts) : IDisposable
    {
        internal long AttemptId => attemptId;
        internal CancellationTokenSource Source => cts;
        public CancellationToken Token => cts.Token;
        public bool Requested => cts.IsCancellationRequested;
        /// <summary>Another host took the run over (this one was cut off from the database for too long).</summary>
        public bool Superseded { get; internal set; }

        /// <summary>Training has stopped here: from now on this host records the end itself, and its own ending of the
        /// attempt must not read as another host having taken the run over.</summary>
        public void Leave()
        {
            lock (owner._training)
                if (owner._training.TryGetValue(runId, out var current) && ReferenceEquals(current, this)) owner._training.Remove(runId);
        }

        public void Dispose()
        {
            lock (owner._training)
            {
                Leave();
                cts.Dispose();
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var subscription = events.Subscribe(e =>
        {
            bool ours;
            lock (_training) ours = _training.ContainsKey(e.RunId);
            if (ours && e.Kind == RunEventKind.StatusChanged) _check.Release();
        });
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _check.WaitAsync(Poll, stoppingToken);
                await CancelRequestedAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
            catch (Exception e)
            {
                log.LogWarning("Could not check for cancel requests: {Message}", e.Message);
            }
        }
    }

    private async Task CancelRequestedAsync(CancellationToken ct)
    {
        long[] ids, attempts;
        lock (_training) (ids, attempts) = ([.. _training.Keys], [.. _training.Values.Select(r => r.AttemptId)]);
        if (ids.Length == 0) return;
        await using var db = await dbs.CreateDbContextAsync(ct);
        var requested = await db.Runs.Where(r => ids.Contains(r.Id) && r.CancelRequestedAt != null).Select(r => r.Id).ToListAsync(ct);
        // An attempt ended by someone else: another host found this one silent and took the run over.
        var superseded = await db.RunAttempts.Where(a => attempts.Contains(a.Id) && a.EndedAt != null).Select(a => a.RunId).ToListAsync(ct);
        foreach (var id in requested.Concat(superseded).Distinct())
        {
            // Under the lock: a run ending meanwhile disposes its source only after leaving the table.
            lock (_training)
            {
                if (!_training.TryGetValue(id, out var run) || run.Source.IsCancellationRequested) continue;
                run.Superseded = superseded.Contains(id);
                run.Source.Cancel();
            }
            if (superseded.Contains(id)) log.LogWarning("Run {RunId}: another host has taken it over; stopping it here", id);
            else log.LogInformation("Run {RunId}: cancel requested; stopping it", id);
        }
    }
}
