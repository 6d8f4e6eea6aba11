using Dashboard.Data;
using Dashboard.Data.Metrics;
using Dashboard.Training.Engine;
using Dashboard.Training.Specs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Dashboard.Training.Worker;

/// <summary>Where a worker's trainer sends a run's metrics (the metric writer) and progress (the run's epoch).</summary>
/// <param name="attemptId">The attempt training: progress is recorded only while it is open (another host may have taken the run over).</param>
/// <param name="earlyStopping">For a run of a sweep with early_stop: asked at each epoch end whether the run goes on.</param>
public sealed class RunSink(long runId, long attemptId, IDbContextFactory<DashboardDb> dbs, MetricWriter writer, RunEvents events, ILogger log,
    EarlyStopping? earlyStopping = null) : ITrainingSink, IDisposable
{
    private Task _progress = Task.CompletedTask;
    private long _lastStep = -1;

    /// <summary>The last step logged in this attempt, -1 before the first: where the host's sampler puts its figures.</summary>
    public long LastStep => Volatile.Read(ref _lastStep);
    private static readonly TimeSpan RungWait = TimeSpan.FromSeconds(30);
    private readonly CancellationTokenSource _stop = new();
    private double _metric = double.NaN;

    /// <summary>Cancelled when early stopping stops the run; <see cref="StoppedBy"/> then says at which rung and why.</summary>
    public CancellationToken StopToken => _stop.Token;
    public AshaDecision? StoppedBy { get; private set; }

    public void Log(IReadOnlyList<MetricSample> samples)
    {
        for (int i = 0; i < samples.Count; i++)  // not foreach: an interface enumerator per step
        {
            var s = samples[i];
            writer.Enqueue(new MetricPoint { RunId = runId, Key = s.Key, Step = s.Step, Value = s.Value, Time = s.Time });
            if (earlyStopping is not null && s.Key == earlyStopping.Spec.Metric) _metric = s.Value;
        }
        if (samples.Count > 0 && samples[^1].Step > _lastStep) Volatile.Write(ref _lastStep, samples[^1].Step);
    }

    /// <summary>A run resumed after its sweep stopped it (its host died before recording the end) ends at once, stopped again.</summary>
    public async Task CheckStoppedAsync(CancellationToken ct)
    {
        if (earlyStopping is not null && await earlyStopping.DecidedAsync(ct) is { Stop: true } decision) Stop(decision);
    }

    private void Stop(AshaDecision decision)
    {
        StoppedBy = decision;
        _stop.Cancel();
    }

    public void Message(string text)
    {
        log.LogInformation("Run {RunId}: {Message}", runId, text);
        var time = DateTime.UtcNow;
        InBackground($"message '{text}'", async db =>
        {
            db.RunMessages.Add(new RunMessage { RunId = runId, Time = time, Text = text });
            await db.SaveChangesAsync();
        });
    }

    public void EpochEnded(int epoch, int maxEpochs)
    {
        double value = _metric;
        InBackground($"epoch {epoch}", async db =>
        {
            await db.Runs.Where(r => r.Id == runId && db.RunAttempts.Any(a => a.Id == attemptId && a.EndedAt == null))
                .ExecuteUpdateAsync(u => u.SetProperty(r => r.Epoch, epoch));
            events.Publish(new RunEvent(runId, RunEventKind.StatusChanged));
        });
        // After the epoch's progress, in the same order. At a rung the trainer waits for the decision (one short
        // transaction), as Ray Tune's trials wait for their scheduler, so that a run stopped at epoch E trains no
        // further; a database away longer than RungWait lets it go on, and the decision stops it when it comes. A
        // failed write is tried again at the next epoch end (the rungs this run has no value for are filled then).
        if (earlyStopping is not null && StoppedBy is null && epoch >= earlyStopping.Spec.MinEpochs)
        {
            InBackground($"early stopping at epoch {epoch}", async _ =>
            {
                if (await earlyStopping.EpochEndedAsync(epoch, value) is { Stop: true } decision)
                {
                    log.LogInformation("Run {RunId}: {Stopped}: {Reason}", runId, decision.StoppedText, decision.Reason);
                    Stop(decision);
                }
                // The sweep page's rungs follow.
                events.Publish(new RunEvent(runId, RunEventKind.StatusChanged));
            });
            if (earlyStopping.Spec.RungEpochs.Contains(epoch) && epoch < earlyStopping.Spec.MaxEpochs) _progress.Wait(RungWait);
        }
    }

    /// <summary>Progress and messages for the pages, written off the training thread, in order.</summary>
    private void InBackground(string what, Func<DashboardDb, Task> write) =>
        _progress = _progress.ContinueWith(async _ =>
        {
            try
            {
                await using var db = await dbs.CreateDbContextAsync();
                await write(db);
            }
            catch (Exception e)
            {
                // Only for display: a database restart must not fail the run (its points are buffered elsewhere).
                log.LogWarning("Run {RunId}: could not record {What} ({Message})", runId, what, e.Message);
            }
        }).Unwrap();

    /// <summary>Waits until the writer has stored every point so far (through a database outage, if there is one).</summary>
    public void BeforeCheckpoint() => writer.FlushAsync().GetAwaiter().GetResult();

    public Task Drain() => _progress;

    public void Dispose() => _stop.Dispose();
}
