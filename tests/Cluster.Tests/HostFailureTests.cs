using Dashboard.Data;
using Dashboard.Data.Tests;
using Dashboard.Training.Specs;
using Dashboard.Training.Worker;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Dashboard.Cluster.Tests;

/// <summary>Two worker processes on one real PostgreSQL; one of them is killed while it trains.</summary>
public sealed class HostFailureTests(PostgresServer server) : ClusterTest("dashboard-cluster"), IClassFixture<PostgresServer>
{

    [Fact]
    public async Task A_run_whose_host_is_killed_resumes_on_the_other_from_its_checkpoint_with_contiguous_steps()
    {
        var cs = await Cluster.NewDatabaseAsync(server, "cluster");
        var workers = await Cluster.StartWorkersAsync(cs, DataDir, 2);
        using var first = workers[0];
        using var second = workers[1];
        string Logs() => Cluster.Logs(workers);

        using var web = Cluster.WebNode(cs);
        var spec = SpecJson.Parse("""
            { "name": "crash",
              "dataset": { "name": "hyperspheres", "n": 6000, "p": 16, "d": 3, "classes": 3 },
              "model": { "name": "mlp", "layer_size": [64, 64] }, "batch_size": 8,
              "max_epochs": 12, "checkpoint": { "every": 1 } }
            """);
        var launched = await web.Services.GetRequiredService<RunLauncher>().LaunchAsync(spec);
        long runId = launched.RunIds[0];
        var dbs = web.Services.GetRequiredService<IDbContextFactory<DashboardDb>>();

        // Wait until it has trained past a checkpoint on one of the two, then kill that one.
        var training = await Cluster.Eventually(async () =>
        {
            await using var db = await dbs.CreateDbContextAsync();
            var run = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == runId);
            if (run.Epoch < 3 || run.Status != RunStatus.Running) return null;
            return await db.RunAttempts.AsNoTracking().SingleAsync(a => a.RunId == runId);
        }, TimeSpan.FromSeconds(120), () => "the run did not reach epoch 3\n" + Logs());
        var victim = workers.Single(w => w.Is(training.Host));
        var survivor = workers.Single(w => w != victim);
        victim.KillHard();

        // The survivor gets the job once its host stopped renewing it (Hangfire's invisibility timeout), takes the run
        // over and finishes it.
        var done = await Cluster.Eventually(async () =>
        {
            await using var db = await dbs.CreateDbContextAsync();
            var run = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == runId);
            return RunStatus.IsFinished(run.Status) ? run : null;
        }, TimeSpan.FromSeconds(180), () => "the run did not finish after its host was killed\n" + Logs());
        Assert.True(done.Status == RunStatus.Completed, $"{done.Status}: {done.Error}\n{Logs()}");

        await using var check = await dbs.CreateDbContextAsync();
        var attempts = await check.RunAttempts.AsNoTracking().Where(a => a.RunId == runId).OrderBy(a => a.Number).ToListAsync();
        Assert.Equal(2, attempts.Count);
        Assert.Equal(("lost", true), (attempts[0].Outcome, victim.Is(attempts[0].Host)));
        Assert.Contains("stopped answering", attempts[0].Reason);
        Assert.Equal(("completed", true), (attempts[1].Outcome, survivor.Is(attempts[1].Host)));
        Assert.True(attempts[1].ResumedAfterEpoch >= 3, $"resumed after epoch {attempts[1].ResumedAfterEpoch}");

        // One point per step from 1 to the last, none twice, none missing; one validation point per epoch.
        var steps = await check.MetricPoints.Where(p => p.RunId == runId && p.Key == "loss").OrderBy(p => p.Step).Select(p => p.Step).ToListAsync();
        long stepsPerEpoch = 4800 / 8;
        Assert.Equal(Enumerable.Range(1, (int)(12 * stepsPerEpoch)).Select(i => (long)i), steps);
        var epochs = await check.MetricPoints.Where(p => p.RunId == runId && p.Key == "epoch").OrderBy(p => p.Step).Select(p => p.Value).ToListAsync();
        Assert.Equal(Enumerable.Range(1, 12).Select(i => (double)i), epochs);
        var summary = await check.MetricSummaries.SingleAsync(s => s.RunId == runId && s.Key == "loss");
        Assert.Equal(12 * stepsPerEpoch, summary.LastStep);
    }
}

/// <summary>The attempt cap, and a cancel sent from the web node to the host training the run.</summary>
public sealed class AttemptAndCancelTests(PostgresServer server) : ClusterTest("dashboard-attempts"), IClassFixture<PostgresServer>
{

    private const string Long = """
        { "name": "long", "dataset": { "name": "hyperspheres", "n": 6000, "p": 16, "d": 3, "classes": 3 },
          "model": { "name": "mlp", "layer_size": [64, 64] }, "batch_size": 8, "max_epochs": 200 }
        """;

    [Fact]
    public async Task A_run_is_failed_once_its_attempts_are_used_up_and_a_cancel_reaches_the_host_training_it()
    {
        var cs = await Cluster.NewDatabaseAsync(server, "attempts");
        var workers = await Cluster.StartWorkersAsync(cs, DataDir, 2, new Dictionary<string, string> { ["Worker__MaxAttempts"] = "1" });
        using var first = workers[0];
        using var second = workers[1];
        using var web = Cluster.WebNode(cs);
        var launcher = web.Services.GetRequiredService<RunLauncher>();
        var dbs = web.Services.GetRequiredService<IDbContextFactory<DashboardDb>>();
        async Task<Run> RunNow(long id)
        {
            await using var db = await dbs.CreateDbContextAsync();
            return await db.Runs.AsNoTracking().SingleAsync(r => r.Id == id);
        }
        async Task<RunAttempt> Training(long id) => await Cluster.Eventually(async () =>
        {
            await using var db = await dbs.CreateDbContextAsync();
            return (await RunNow(id)).Status == RunStatus.Running
                ? await db.RunAttempts.AsNoTracking().FirstOrDefaultAsync(a => a.RunId == id && a.EndedAt == null) : null;
        }, TimeSpan.FromSeconds(60), () => $"run {id} did not start\n" + Cluster.Logs(workers));

        // Cancel from the web node (another process): the host training it stops it within seconds.
        long cancelled = (await launcher.LaunchAsync(SpecJson.Parse(Long))).RunIds[0];
        await Training(cancelled);
        Assert.Equal(CancelOutcome.Requested, await web.Services.GetRequiredService<RunCancellation>().RequestAsync(cancelled));
        var asked = DateTime.UtcNow;
        var stopped = await Cluster.Eventually(async () => (await RunNow(cancelled)) is { Status: RunStatus.Cancelled } r ? r : null,
            TimeSpan.FromSeconds(15), () => "the cancel did not reach the worker\n" + Cluster.Logs(workers));
        Assert.True(DateTime.UtcNow - asked < TimeSpan.FromSeconds(15));
        Assert.Equal("cancelled on request", stopped.Error);

        // One attempt allowed: when its host dies, the run is failed, saying why, rather than started again.
        long capped = (await launcher.LaunchAsync(SpecJson.Parse(Long))).RunIds[0];
        var attempt = await Training(capped);
        workers.Single(w => w.Is(attempt.Host)).KillHard();
        var failed = await Cluster.Eventually(async () => (await RunNow(capped)) is { Status: RunStatus.Failed } r ? r : null,
            TimeSpan.FromSeconds(120), () => "the capped run was not failed\n" + Cluster.Logs(workers));
        Assert.StartsWith("gave up after 1 attempt; the last one: host ", failed.Error);
        await using var check = await dbs.CreateDbContextAsync();
        Assert.Equal("lost", (await check.RunAttempts.SingleAsync(a => a.RunId == capped)).Outcome);
    }
}

public sealed class DatabaseRestartTests(PostgresServer server) : ClusterTest("dashboard-restart"), IClassFixture<PostgresServer>
{

    [Fact]
    public async Task Training_goes_on_through_a_database_restart_and_loses_no_point()
    {
        var cs = await Cluster.NewDatabaseAsync(server, "restart");
        using var worker = (await Cluster.StartWorkersAsync(cs, DataDir, 1))[0];

        using var web = Cluster.WebNode(cs);
        var spec = SpecJson.Parse("""
            { "name": "restart",
              "dataset": { "name": "hyperspheres", "n": 6000, "p": 16, "d": 3, "classes": 3 },
              "model": { "name": "mlp", "layer_size": [64, 64] }, "batch_size": 8, "max_epochs": 10 }
            """);
        long runId = (await web.Services.GetRequiredService<RunLauncher>().LaunchAsync(spec)).RunIds[0];
        var dbs = web.Services.GetRequiredService<IDbContextFactory<DashboardDb>>();
        async Task<Run> RunNow()
        {
            await using var db = await dbs.CreateDbContextAsync();
            return await db.Runs.AsNoTracking().SingleAsync(r => r.Id == runId);
        }
        await Cluster.Eventually(async () => (await RunNow()).Epoch >= 2 ? "" : null,
            TimeSpan.FromSeconds(120), () => "the run did not reach epoch 2\n" + worker.Output);

        // Down for several seconds while it trains (an immediate stop, as a crash of the server would be).
        await server.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(8));
        Assert.False(worker.HasExited, "the worker died with the database\n" + worker.Output);
        await server.StartAsync();

        var done = await Cluster.Eventually(async () => RunStatus.IsFinished((await RunNow()).Status) ? await RunNow() : null,
            TimeSpan.FromSeconds(180), () => "the run did not finish after the restart\n" + worker.Output);
        Assert.True(done.Status == RunStatus.Completed, $"{done.Status}: {done.Error}\n{worker.Output}");
        await using var check = await dbs.CreateDbContextAsync();
        var steps = await check.MetricPoints.Where(p => p.RunId == runId && p.Key == "loss").OrderBy(p => p.Step).Select(p => p.Step).ToListAsync();
        Assert.Equal(Enumerable.Range(1, 10 * 4800 / 8).Select(i => (long)i), steps);
        Assert.Equal(1, await check.RunAttempts.CountAsync(a => a.RunId == runId));
        Assert.Contains("holding them and trying again", worker.Output);   // the outage really met the writer
    }
}
