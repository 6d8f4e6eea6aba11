using Dashboard.Data;
using Dashboard.Data.Metrics;
using Dashboard.Training.Datasets;
using Dashboard.Training.Engine;
using Dashboard.Training.Specs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dashboard.Training.Worker;

/// <summary>Trains one stored run: marks it running, feeds its metrics to the writer, records how it ended.</summary>
public sealed class RunExecutor(
    IDbContextFactory<DashboardDb> dbs, MetricWriter writer, RunEvents events,
    IOptions<TrainingOptions> training, IOptions<WorkerOptions> worker, StorageOptions storage, RunCancellation cancellation,
    DeviceAllocator devices, WorkerHeartbeat heartbeat, SystemSampler sampler, ILogger<RunExecutor> log)
{
    private readonly IDbContextFactory<DashboardDb> _dbs = dbs;
    private readonly MetricWriter _writer = writer;
    private readonly RunEvents _events = events;
    private readonly ILogger<RunExecutor> _log = log;

    /// <summary>What became of a job's look at its run.</summary>
    public enum Outcome
    {
        /// <summary>Trained here (to any end), or nothing to do: the run is finished or gone.</summary>
        Done,
        /// <summary>This host has not the GPUs it asks for free now; it stays queued.</summary>
        NoGpusHere,
        /// <summary>Every slot of this host is training already.</summary>
        BusyHere,
        /// <summary>A living host trains it (or took it over from this one): look again later, in case that host dies.</summary>
        HeldElsewhere,
    }

    public async Task<Outcome> ExecuteAsync(long runId, CancellationToken ct)
    {
        var checkpointDir = storage.CheckpointDir(runId);
        var resumeFrom = Checkpoints.Latest(checkpointDir);
        var resumed = resumeFrom is null ? null : Checkpoints.StateOf(resumeFrom);
        var (claim, notClaimed) = await ClaimAsync(runId, resumed, ct);
        if (claim is null) return notClaimed;
        var (spec, attemptId, lease, earlyStopping) = claim;
        using var gpus = lease;
        _writer.Fence(runId, attemptId);
        _events.Publish(new RunEvent(runId, RunEventKind.StatusChanged));
        _log.LogInformation("Run {RunId} started on {Devices}", runId, lease.Describe());

        string status;
        string? error = null;
        long? divergedAt = null;
        // Three ways to stop: the host shutting down (ct: the run goes back to the queue), a cancel request, or another
        // host having taken the run over.
        using var cancel = cancellation.Register(runId, attemptId);
        // A fourth: the sweep's early stopping, decided at the run's epoch ends (RunSink).
        using var sink = new RunSink(runId, attemptId, _dbs, _writer, _events, _log, earlyStopping);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, cancel.Token, sink.StopToken);
        try
        {
            await sink.CheckStoppedAsync(ct);
            // Ends with training, before the flush below: no sample of this attempt comes after its end is recorded.
            using var sampled = sampler.Track(runId, lease.Gpus, () => sink.LastStep);
            // Training blocks its thread for the whole run; keep it off the thread pool.
            var result = await Task.Factory.StartNew(() =>
            {
                var context = new TrainContext
                {
                    CheckpointDir = checkpointDir,
                    ResumeFrom = resumeFrom,
                    ResolveMinimum = ResolveMinimum,
                    Threads = training.Value.ThreadPolicy(worker.Value.Slots),
                };
                return Trainer.Train(spec, () =>
                {
                    Confinement.Check([spec], training.Value, storage.DataDir);
                    return DatasetLoader.Load(spec.Dataset!, spec.Seed, training.Value);
                }, sink, stop.Token, context);
            }, stop.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            await sink.Drain();
            (status, divergedAt) = result.Outcome switch
            {
                TrainOutcome.Completed => (RunStatus.Completed, (long?)null),
                TrainOutcome.Diverged => (RunStatus.Diverged, result.DivergedAtStep),
                _ => (RunStatus.Queued, null),
            };
            if (result.Outcome == TrainOutcome.Diverged) error = $"loss became NaN or infinite at step {result.DivergedAtStep}";
            if (result.Outcome == TrainOutcome.Cancelled) (status, error) = Stopped(cancel, sink, ct);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            await sink.Drain();
            (status, error) = Stopped(cancel, sink, ct);
        }
        catch (Exception e)
        {
            _log.LogError(e, "Run {RunId} failed", runId);
            (status, error) = (RunStatus.Failed, e.Message);
        }

        cancel.Leave();
        // Both wait out a database restart: the writer holds the points, the status is written once it is back.
        await _writer.FlushAsync();
        bool recorded = false;
        await WhileTheDatabaseIsAway(async () =>
        {
            await using var db = await _dbs.CreateDbContextAsync(CancellationToken.None);
            await using var tx = await db.Database.BeginTransactionAsync(CancellationToken.None);
            // This attempt first, and only while it is open: another host that found this one silent and took the
            // run over has ended it as lost (and holds it locked until its claim commits), and then the run is
            // that host's to record. A run failed by hand meanwhile is left as it is too.
            int mine = await db.RunAttempts.Where(a => a.Id == attemptId && a.EndedAt == null).ExecuteUpdateAsync(u => u
                .SetProperty(a => a.EndedAt, DateTime.UtcNow)
                .SetProperty(a => a.Outcome, status == RunStatus.Queued ? "interrupted" : status)
                .SetProperty(a => a.Reason, error), CancellationToken.None);
            if (mine == 1)
                await db.Runs.Where(r => r.Id == runId && r.Status == RunStatus.Running).ExecuteUpdateAsync(u => u
                    .SetProperty(r => r.Status, status)
                    .SetProperty(r => r.Error, error)
                    .SetProperty(r => r.DivergedAtStep, divergedAt)
                    .SetProperty(r => r.FinishedAt, RunStatus.IsFinished(status) ? DateTime.UtcNow : null), CancellationToken.None);
            await tx.CommitAsync(CancellationToken.None);
            recorded = mine == 1;
        }, $"record how run {runId} ended");
        _writer.Unfence(runId);
        _events.Publish(new RunEvent(runId, RunEventKind.StatusChanged));
        if (recorded) _log.LogInformation("Run {RunId} ended {Status}", runId, status);
        else _log.LogWarning("Run {RunId} stopped here; another host had taken it over, so its end is that host's to record", runId);
        // Not recorded: another host ended this attempt, while it trained (Superseded) or while this host was away from
        // the database after it stopped; either way the run is that host's now.
        return recorded ? Outcome.Done : Outcome.HeldElsewhere;
    }

    private sealed record Claim(ExperimentSpec Spec, long AttemptId, DeviceAllocator.Lease Lease, EarlyStopping? EarlyStopping);

    /// <summary>
    /// Takes the run for this host: its devices, then in one transaction the status (only from queued, or from
    /// running when every host with an open attempt of it is dead, on a takeover), the attempt, and the points after
    /// the checkpoint it resumes from. Without a claim, why not.
    /// </summary>
    private async Task<(Claim?, Outcome)> ClaimAsync(long runId, CheckpointState? resumed, CancellationToken ct)
    {
        await using var db = await _dbs.CreateDbContextAsync(ct);
        var run = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == runId, ct);
        // Idempotent: a job run again for a finished run does nothing.
        if (run is null || RunStatus.IsFinished(run.Status)) return (null, Outcome.Done);
        if (run.Status == RunStatus.Running && await TakeOverAsync(db, runId, ct) is null) return (null, Outcome.HeldElsewhere);
        var now = DateTime.UtcNow;
        if (run.CancelRequestedAt is not null)
        {
            // Asked to stop while it trained on a host that then went away: it stays stopped.
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await CloseLostAttemptsAsync(db, runId, now, ct);
            await db.Runs.Where(r => r.Id == runId && !RunStatus.Finished.Contains(r.Status)).ExecuteUpdateAsync(u => u
                .SetProperty(r => r.Status, RunStatus.Cancelled).SetProperty(r => r.FinishedAt, now)
                .SetProperty(r => r.Error, "cancelled on request"), ct);
            await tx.CommitAsync(ct);
            _events.Publish(new RunEvent(runId, RunEventKind.StatusChanged));
            return (null, Outcome.Done);
        }
        var spec = SpecJson.Parse(run.Spec);
        // At most Worker:Slots runs here, counted here: after an outage longer than its server timeout Hangfire starts
        // this host's workers anew while the runs of the old ones go on training.
        if (cancellation.Count >= worker.Value.Slots) return (null, Outcome.BusyHere);
        var lease = devices.TryAcquire(spec.Device, spec.NumGpu);
        if (lease is null)
            return (null, await NotHereAsync(db, run, spec, ct) ? Outcome.NoGpusHere : Outcome.Done);
        try
        {
            // Before the transaction: for a GPU run it asks nvidia-smi, which may take a second.
            var environment = AttemptEnvironment.For(lease.Gpus);
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            // The run's row first, with a write that changes nothing: a row lock on PostgreSQL, the write lock on
            // SQLite. A claim of the same run elsewhere then either committed before, and is read below, or waits.
            await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, r => r.Status), ct);
            var status = await db.Runs.Where(r => r.Id == runId).Select(r => r.Status).FirstAsync(ct);
            var gone = status == RunStatus.Running ? await TakeOverAsync(db, runId, ct) : null;
            if (status != RunStatus.Queued && gone is null)
            {
                lease.Dispose();
                _log.LogInformation("Run {RunId} is {Status}; not started here", runId, status);
                return (null, status == RunStatus.Running ? Outcome.HeldElsewhere : Outcome.Done);
            }
            if (gone is not null && storage.Provider == StorageProvider.Postgres)
            {
                // A host that is silent but not dead (paused, cut off) may be in the middle of a metric batch, whose
                // locks would hold this claim, and then the new host's points, for as long as its connection lives.
                await db.Database.ExecuteSqlAsync(
                    $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ANY({gone}) AND pid <> pg_backend_pid()", ct);
            }
            await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(u => u
                .SetProperty(r => r.Status, RunStatus.Running)
                .SetProperty(r => r.StartedAt, r => r.StartedAt ?? now)
                .SetProperty(r => r.FinishedAt, (DateTime?)null)
                .SetProperty(r => r.Error, (string?)null)
                .SetProperty(r => r.Epoch, resumed == null ? 0 : resumed.Epoch), ct);
            await CloseLostAttemptsAsync(db, runId, now, ct);
            int number = (await db.RunAttempts.Where(a => a.RunId == runId).MaxAsync(a => (int?)a.Number, ct) ?? 0) + 1;
            if (number > worker.Value.MaxAttempts)
            {
                var last = await db.RunAttempts.Where(a => a.RunId == runId).OrderByDescending(a => a.Number).FirstAsync(ct);
                var error = $"gave up after {number - 1} attempt{(number - 1 == 1 ? "" : "s")}; the last one: {last.Reason ?? last.Outcome}";
                await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(u => u
                    .SetProperty(r => r.Status, RunStatus.Failed).SetProperty(r => r.FinishedAt, now).SetProperty(r => r.Error, error), ct);
                await tx.CommitAsync(ct);
                lease.Dispose();
                _events.Publish(new RunEvent(runId, RunEventKind.StatusChanged));
                _log.LogWarning("Run {RunId}: {Error}", runId, error);
                return (null, Outcome.Done);
            }
            var attempt = new RunAttempt
            {
                RunId = runId, Number = number, Host = ProcessIdentity.Name, Devices = lease.Describe(), StartedAt = now,
                ResumedAfterEpoch = resumed?.Epoch ?? 0,
            };
            environment.Stamp(attempt);
            db.RunAttempts.Add(attempt);
            // A run that starts again goes on from its last checkpoint, so the points after it go (they will be
            // logged again); without a checkpoint it starts from scratch and all its old points go.
            long keepUpTo = resumed?.Step ?? 0;
            await db.MetricPoints.Where(p => p.RunId == runId && p.Step > keepUpTo).ExecuteDeleteAsync(ct);
            await MetricSummarySql.RebuildRunAsync(db, runId, ct);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            // The GPUs this host gave it: the spec's own when they were free.
            var sweep = await db.Experiments.Where(e => e.Id == run.ExperimentId).Select(e => e.Sweep).FirstOrDefaultAsync(ct);
            var earlyStop = sweep is null ? null : System.Text.Json.JsonSerializer.Deserialize<SweepSpec>(sweep, SpecJson.Options)?.EarlyStop;
            return (new Claim(spec with { Device = lease.Device }, attempt.Id, lease,
                earlyStop is null ? null : new EarlyStopping(run.ExperimentId, runId, earlyStop, _dbs)), Outcome.Done);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Whether a run marked running may be taken over here: only when no host with an open attempt of it is alive.
    /// Hangfire hands a job out again once its host stopped renewing it (the invisibility timeout), which a database
    /// outage is enough for; the job then looks again later (<see cref="TrainRunJob.HeldRetry"/>) and takes the run
    /// over should that host really die. The hosts it is taken from, or null.
    /// </summary>
    private async Task<string[]?> TakeOverAsync(DashboardDb db, long runId, CancellationToken ct)
    {
        var open = await db.RunAttempts.Where(a => a.RunId == runId && a.EndedAt == null).Select(a => a.Host).ToArrayAsync(ct);
        if ((await heartbeat.LivingAsync(db, open, ct)).FirstOrDefault() is { } host)
        {
            _log.LogInformation("Run {RunId} is still trained by {Host}, which is alive; not taken over", runId, host);
            return null;
        }
        return open;
    }

    // An attempt still open ended without a word: its host died or was killed while training.
    private static async Task CloseLostAttemptsAsync(DashboardDb db, long runId, DateTime now, CancellationToken ct)
    {
        foreach (var lost in await db.RunAttempts.Where(a => a.RunId == runId && a.EndedAt == null).ToListAsync(ct))
            (lost.EndedAt, lost.Outcome, lost.Reason) = (now, "lost", $"host {lost.Host} stopped answering while it trained");
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// This host cannot give the run its GPUs now. On the embedded database it is the only worker, so a run asking
    /// for more GPUs than it has fails at once. Otherwise it stays queued, saying why, and its job comes back a few
    /// seconds later at its own place (<see cref="TrainRunJob.GpuRetry"/>), for this host once its GPUs are free or
    /// for another host with enough of them; a takeover that finds no GPUs here comes back the same way. Whether the
    /// run still waits.
    /// </summary>
    private async Task<bool> NotHereAsync(DashboardDb db, Run run, ExperimentSpec spec, CancellationToken ct)
    {
        if (run.Status != RunStatus.Queued) return run.Status == RunStatus.Running;
        db.Runs.Attach(run);
        string gpus = spec.NumGpu == 1 ? "1 GPU" : $"{spec.NumGpu} GPUs in a row";
        if (!devices.CanServe(spec.Device, spec.NumGpu) && storage.Provider == StorageProvider.Sqlite)
        {
            run.Status = RunStatus.Failed;
            run.FinishedAt = DateTime.UtcNow;
            run.Error = $"needs {gpus}; this worker has {devices.Configured} (Worker:Devices)";
        }
        else
        {
            run.Error = devices.CanServe(spec.Device, spec.NumGpu)
                ? $"waiting for {gpus} to be free on {ProcessIdentity.Name}"
                : $"waiting for a worker with {gpus} ({ProcessIdentity.Name} has {devices.Configured})";
        }
        await db.SaveChangesAsync(ct);
        _events.Publish(new RunEvent(run.Id, RunEventKind.StatusChanged));
        _log.LogInformation("Run {RunId} not started here: {Reason}", run.Id, run.Error);
        return run.Status == RunStatus.Queued;
    }

    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(10);

    /// <summary>Runs <paramref name="write"/> until it succeeds, trying again every few seconds for up to ten minutes.</summary>
    private async Task WhileTheDatabaseIsAway(Func<Task> write, string what)
    {
        var giveUp = DateTime.UtcNow + Patience;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await write();
                return;
            }
            catch (Exception e) when (DateTime.UtcNow < giveUp && DatabaseFaults.IsTransient(e))
            {
                if (attempt == 1) _log.LogWarning("Could not {What} ({Message}); trying again until the database is back", what, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(attempt, 5)));
            }
        }
    }

    private static (string Status, string Error) Stopped(RunCancellation.Registration cancel, RunSink sink, CancellationToken shutdown) =>
        cancel.Superseded ? (RunStatus.Running, "taken over by another host")
        : cancel.Requested ? (RunStatus.Cancelled, "cancelled on request")
        // Stopped by its sweep, even if the host began shutting down meanwhile: the decision is stored and final.
        : sink.StoppedBy is { } asha ? (RunStatus.Stopped, $"{asha.StoppedText}: {asha.Reason}")
        : shutdown.IsCancellationRequested ? (RunStatus.Queued, "interrupted by the host shutting down; it will start again")
        : (RunStatus.Queued, "interrupted; it will start again");

    private LoadedMinimum ResolveMinimum(string reference)
    {
        using var db = _dbs.CreateDbContext();
        return MinimaSources.Resolve(db, storage, reference);
    }
}
