using Dashboard.Data;
using Dashboard.Data.Metrics;
using Dashboard.Training.Engine;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Dashboard.Training.Worker;

/// <summary>Where a worker's trainer sends a run's metrics (the metric writer) and progress (the run's epoch).</summary>
/// <param name="attemptId">The attempt training: progress is recorded only while it is open (another host may have taken the run over).</param>
public sealed class RunSink(long runId, long attemptId, IDbContextFactory<DashboardDb> dbs, MetricWriter writer, RunEvents events, ILogger log) : ITrainingSink
{
    private Task _progress = Task.CompletedTask;
    private long _lastStep = -1;

    /// <summary>The last step logged in this attempt, -1 before the first: where the host's sampler puts its figures.</summary>
    public long LastStep => Volatile.Read(ref _lastStep);

    public void Log(IReadOnlyList<MetricSample> samples)
    {
        for (int i = 0; i < samples.Count; i++)  // not foreach: an interface enumerator per step
        {
            var s = samples[i];
            writer.Enqueue(new MetricPoint { RunId = runId, Key = s.Key, Step = s.Step, Value = s.Value, Time = s.Time });
        }
        if (samples.Count > 0 && samples[^1].Step > _lastStep) Volatile.Write(ref _lastStep, samples[^1].Step);
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

    public void EpochEnded(int epoch, int maxEpochs) =>
        InBackground($"epoch {epoch}", async db =>
        {
            await db.Runs.Where(r => r.Id == runId && db.RunAttempts.Any(a => a.Id == attemptId && a.EndedAt == null))
                .ExecuteUpdateAsync(u => u.SetProperty(r => r.Epoch, epoch));
            events.Publish(new RunEvent(runId, RunEventKind.StatusChanged));
        });

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
}
