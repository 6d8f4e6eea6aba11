using Dashboard.Data;
using Dashboard.Data.Tests;
using Dashboard.Training.Specs;
using Dashboard.Training.Worker;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Dashboard.Cluster.Tests;

/// <summary>
/// When another host may take a run over: never while its host is alive (a database outage makes every host look
/// silent for as long as it lasts), and when a host that was taken for dead comes back, it stops training the run.
/// </summary>
public sealed class TakeoverTests(PostgresServer server) : ClusterTest("dashboard-takeover"), IClassFixture<PostgresServer>
{
    // Long enough to outlast each scenario; the tests end it with a cancel.
    private const string Long = """
        { "name": "takeover", "dataset": { "name": "hyperspheres", "n": 6000, "p": 16, "d": 3, "classes": 3 },
          "model": { "name": "mlp", "layer_size": [64, 64] }, "batch_size": 8, "max_epochs": 500, "checkpoint": { "every": 1 } }
        """;

    [Fact]
    public async Task An_outage_longer_than_the_invisibility_timeout_leaves_the_run_on_its_living_host()
    {
        using var scene = await TrainingOnOneOfTwoAsync("outage");
        var (workers, web, dbs, runId, attempt, trainer, other) = scene;

        // Longer than Hangfire's invisibility timeout (30 s): when it is back, the other host can find the job not
        // renewed in time and take it.
        await server.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(35));
        await server.StartAsync();

        // Right after it, that takeover, made here for certain with a second job for the run: the trainer's one slot
        // is busy, so the other host gets it, at a time when the trainer's last stored heartbeat is over 35 s old.
        await web.Services.GetRequiredService<RunLauncher>().QueueAsync([new RunLauncher.Queued(runId, 0)]);
        await Cluster.Eventually(() => Task.FromResult(other.Output.Contains($"Run {runId} is still trained by {attempt.Host}") ? "" : null),
            TimeSpan.FromSeconds(60), () => "the other host did not look at the run\n" + Cluster.Logs(workers));
        // Then a few more seconds of training, in case anything took it over after all.
        long before = (await RunNowAsync(dbs, runId)).Epoch;
        await Cluster.Eventually(async () => (await RunNowAsync(dbs, runId)).Epoch >= before + 3 ? "" : null,
            TimeSpan.FromSeconds(60), () => "the run stopped training\n" + Cluster.Logs(workers));

        var stopped = await CancelAsync(web, dbs, runId, workers);
        Assert.Equal(RunStatus.Cancelled, stopped.Status);
        await using var check = await dbs.CreateDbContextAsync();
        var attempts = await check.RunAttempts.AsNoTracking().Where(a => a.RunId == runId).ToListAsync();
        var only = Assert.Single(attempts);
        Assert.Equal((attempt.Host, RunStatus.Cancelled), (only.Host, only.Outcome));
        Assert.DoesNotContain($"Run {runId} started", other.Output);
        await AssertContiguousAsync(check, runId);
    }

    [Fact]
    public async Task A_host_silent_past_the_invisibility_timeout_loses_its_run_to_the_other_and_stops_it_when_it_comes_back()
    {
        using var scene = await TrainingOnOneOfTwoAsync("frozen");
        var (workers, web, dbs, runId, attempt, frozen, other) = scene;

        // Silent (no check-in, no heartbeat, no training) but not dead: the other host takes the run over from its
        // last checkpoint once the silence is longer than a living host's can be.
        frozen.Freeze();
        RunAttempt taken;
        try
        {
            taken = await Cluster.Eventually(async () =>
            {
                await using var db = await dbs.CreateDbContextAsync();
                var open = await db.RunAttempts.AsNoTracking().FirstOrDefaultAsync(a => a.RunId == runId && a.EndedAt == null && a.Number == 2);
                return open is not null && (await RunNowAsync(dbs, runId)).Epoch > open.ResumedAfterEpoch ? open : null;
            }, TimeSpan.FromSeconds(120), () => "the other host did not take the run over\n" + Cluster.Logs(workers));
        }
        finally
        {
            frozen.Thaw();
        }
        Assert.True(other.Is(taken.Host), taken.Host);

        // Back, the first host finds its attempt ended and stops training; the run stays with the other host.
        await Cluster.Eventually(() => Task.FromResult(frozen.Output.Contains($"Run {runId}: another host has taken it over; stopping it here") ? "" : null),
            TimeSpan.FromSeconds(30), () => "the host that came back did not stop the run\n" + Cluster.Logs(workers));
        // What it still held of the run, and the steps it trained before it noticed, are left out of the history.
        await Cluster.Eventually(() => Task.FromResult(frozen.Output.Contains("metric points of runs another host has taken over") ? "" : null),
            TimeSpan.FromSeconds(30), () => "the host that came back wrote its points\n" + Cluster.Logs(workers));
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(RunStatus.Running, (await RunNowAsync(dbs, runId)).Status);

        var stopped = await CancelAsync(web, dbs, runId, workers);
        Assert.Equal(RunStatus.Cancelled, stopped.Status);
        Assert.False(frozen.HasExited, "the host that came back died\n" + frozen.Output);
        await using var check = await dbs.CreateDbContextAsync();
        var attempts = await check.RunAttempts.AsNoTracking().Where(a => a.RunId == runId).OrderBy(a => a.Number).ToListAsync();
        Assert.Equal(2, attempts.Count);
        // The first attempt keeps the reason the other host gave it; the host that came back wrote nothing over it.
        Assert.Equal((attempt.Host, "lost"), (attempts[0].Host, attempts[0].Outcome));
        Assert.Contains("stopped answering", attempts[0].Reason);
        Assert.Equal((taken.Host, RunStatus.Cancelled), (attempts[1].Host, attempts[1].Outcome));
        await AssertContiguousAsync(check, runId);
    }

    /// <summary>Two workers and a web node on a new database; the long run trains past epoch 2 on one of them.</summary>
    private sealed record Scene(WorkerProcess[] Workers, IHost Web, IDbContextFactory<DashboardDb> Dbs, long RunId,
        RunAttempt Attempt, WorkerProcess Trainer, WorkerProcess Other) : IDisposable
    {
        public void Dispose()
        {
            foreach (var w in Workers) w.Dispose();
            Web.Dispose();
        }
    }

    private async Task<Scene> TrainingOnOneOfTwoAsync(string name)
    {
        var cs = await Cluster.NewDatabaseAsync(server, name);
        var workers = await Cluster.StartWorkersAsync(cs, DataDir, 2);
        var web = Cluster.WebNode(cs);
        var dbs = web.Services.GetRequiredService<IDbContextFactory<DashboardDb>>();
        long runId = (await web.Services.GetRequiredService<RunLauncher>().LaunchAsync(SpecJson.Parse(Long))).RunIds[0];
        var attempt = await TrainingPastEpochAsync(dbs, runId, 2, workers);
        var trainer = workers.Single(w => w.Is(attempt.Host));
        return new Scene(workers, web, dbs, runId, attempt, trainer, workers.Single(w => w != trainer));
    }

    private static async Task<Run> RunNowAsync(IDbContextFactory<DashboardDb> dbs, long runId)
    {
        await using var db = await dbs.CreateDbContextAsync();
        return await db.Runs.AsNoTracking().SingleAsync(r => r.Id == runId);
    }

    private static Task<RunAttempt> TrainingPastEpochAsync(IDbContextFactory<DashboardDb> dbs, long runId, int epoch, WorkerProcess[] workers) =>
        Cluster.Eventually(async () =>
        {
            await using var db = await dbs.CreateDbContextAsync();
            var run = await RunNowAsync(dbs, runId);
            if (run.Epoch < epoch || run.Status != RunStatus.Running) return null;
            return await db.RunAttempts.AsNoTracking().SingleAsync(a => a.RunId == runId);
        }, TimeSpan.FromSeconds(120), () => $"the run did not reach epoch {epoch}\n" + Cluster.Logs(workers));

    private static async Task<Run> CancelAsync(IHost web, IDbContextFactory<DashboardDb> dbs, long runId, WorkerProcess[] workers)
    {
        Assert.Equal(CancelOutcome.Requested, await web.Services.GetRequiredService<RunCancellation>().RequestAsync(runId));
        return await Cluster.Eventually(async () => await RunNowAsync(dbs, runId) is { } r && RunStatus.IsFinished(r.Status) ? r : null,
            TimeSpan.FromSeconds(30), () => "the run did not stop\n" + Cluster.Logs(workers));
    }

    // One loss point per step from the first to the last stored, none twice (the key says so), none missing.
    private static async Task AssertContiguousAsync(DashboardDb db, long runId)
    {
        var steps = await db.MetricPoints.Where(p => p.RunId == runId && p.Key == "loss").OrderBy(p => p.Step).Select(p => p.Step).ToListAsync();
        Assert.True(steps.Count > 1000, $"only {steps.Count} steps stored");
        Assert.Equal(Enumerable.Range(1, steps.Count).Select(i => (long)i), steps);
    }
}
