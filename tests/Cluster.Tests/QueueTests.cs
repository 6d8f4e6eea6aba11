using Dashboard.Data;
using Dashboard.Data.Tests;
using Dashboard.Training.Specs;
using Dashboard.Training.Worker;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Hangfire;
using Hangfire.States;

namespace Dashboard.Cluster.Tests;

/// <summary>Many short runs queued at once over two worker processes, and one urgent run queued behind them.</summary>
public sealed class QueueTests(PostgresServer server) : ClusterTest("dashboard-queue"), IClassFixture<PostgresServer>
{
    private const int Sweep = 200;

    private static string Short(string name, int priority) => $$"""
        { "name": "{{name}}", "priority": {{priority}},
          "dataset": { "name": "hyperspheres", "n": 200, "p": 4, "d": 2, "classes": 2 },
          "model": { "name": "mlp", "layer_size": [8] }, "batch_size": 40, "max_epochs": 1 }
        """;

    [Fact]
    public async Task Queued_runs_spread_over_the_hosts_each_trained_once_and_an_urgent_one_jumps_the_queue()
    {
        var cs = await Cluster.NewDatabaseAsync(server, "queue");
        var workers = await Cluster.StartWorkersAsync(cs, DataDir, 2);
        using var first = workers[0];
        using var second = workers[1];
        string Logs() => Cluster.Logs(workers);

        using var web = Cluster.WebNode(cs);
        var launcher = web.Services.GetRequiredService<RunLauncher>();
        var sweep = new List<long>();
        for (int i = 0; i < Sweep; i++) sweep.Add((await launcher.LaunchAsync(SpecJson.Parse(Short("sweep", 0)))).RunIds[0]);
        var dbs = web.Services.GetRequiredService<IDbContextFactory<DashboardDb>>();
        int waiting;
        await using (var db = await dbs.CreateDbContextAsync())
            waiting = await db.Runs.CountAsync(r => r.Status == RunStatus.Queued);
        long urgent = (await launcher.LaunchAsync(SpecJson.Parse(Short("urgent", 10)))).RunIds[0];
        Assert.True(waiting >= Sweep / 2, $"only {waiting} sweep runs were still queued: the check below would prove little");

        await Cluster.Eventually(async () =>
        {
            await using var db = await dbs.CreateDbContextAsync();
            return await db.Runs.CountAsync(r => r.Status == RunStatus.Queued || r.Status == RunStatus.Running) == 0 ? "" : null;
        }, TimeSpan.FromSeconds(600), () => "runs still queued\n" + Logs());

        await using var check = await dbs.CreateDbContextAsync();
        var runs = await check.Runs.AsNoTracking().ToListAsync();
        Assert.All(runs, r => Assert.True(r.Status == RunStatus.Completed, $"{r.DisplayName}: {r.Status} {r.Error}"));
        // Trained once each: one attempt per run, never two at a time.
        var attempts = await check.RunAttempts.AsNoTracking().ToListAsync();
        Assert.Equal(runs.Select(r => r.Id).Order(), attempts.Select(a => a.RunId).Order());
        // Both hosts took a fair share.
        var perHost = attempts.GroupBy(a => a.Host).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(2, perHost.Count);
        Assert.All(perHost.Values, n => Assert.True(n >= Sweep / 5, string.Join(", ", perHost)));

        // Both advertised themselves, and a container healthcheck on this machine finds a worker beating.
        var hosts = await check.WorkerHosts.AsNoTracking().ToListAsync();
        Assert.Equal(workers.Length, hosts.Count);
        Assert.All(workers, w => Assert.Single(hosts, h => w.Is(h.Name) && h.Name.StartsWith(Environment.MachineName + ":")));
        Assert.All(hosts, h => Assert.Equal(1, h.Slots));
        var (healthExit, healthLine) = await WorkerProcess.HealthAsync(cs);
        Assert.True(healthExit == 0, healthLine);
        Assert.StartsWith("healthy: ", healthLine);

        // The urgent run, queued last, started before most of the sweep queued ahead of it; the sweep went in order.
        var started = attempts.ToDictionary(a => a.RunId, a => a.StartedAt);
        // Two hosts may each have taken one more sweep run between the count and the urgent launch.
        int sweepAfterUrgent = sweep.Count(id => started[id] > started[urgent]);
        Assert.True(sweepAfterUrgent >= waiting - 4, $"{waiting} sweep runs were queued, only {sweepAfterUrgent} started after the urgent one");
        Assert.True(sweep.Take(20).Max(id => started[id]) < sweep.TakeLast(20).Min(id => started[id]), "the sweep did not start in queue order");

        // A run asking for a GPU that no host has waits in the queue, saying why, and is tried again; it can be cancelled.
        long gpu = (await launcher.LaunchAsync(SpecJson.Parse(Short("gpu", 0).Replace("\"priority\": 0", "\"priority\": 0, \"device\": \"cuda:0\"")))).RunIds[0];
        var waitingRun = await Cluster.Eventually(async () =>
        {
            await using var db = await dbs.CreateDbContextAsync();
            var r = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == gpu);
            return r.Error?.StartsWith("waiting for a worker with 1 GPU") == true ? r : null;
        }, TimeSpan.FromSeconds(30), () => "the GPU run did not say it waits\n" + Logs());
        Assert.Equal(RunStatus.Queued, waitingRun.Status);
        await Cluster.Eventually(() => Task.FromResult(workers.Sum(w => w.Output.Split($"Run {gpu} not started here").Length - 1) >= 2 ? "" : null),
            TimeSpan.FromSeconds(40), () => "the GPU run was not tried again\n" + Logs());
        Assert.Equal(CancelOutcome.Cancelled, await web.Services.GetRequiredService<RunCancellation>().RequestAsync(gpu));
        await using (var db = await dbs.CreateDbContextAsync())
            Assert.Equal(0, await db.RunAttempts.CountAsync(a => a.RunId == gpu));
    }

    [Fact]
    public async Task A_run_tried_again_later_goes_back_to_its_own_place_in_the_queue_ahead_of_lower_priority_runs()
    {
        // No worker: the queue as Hangfire.PostgreSql holds it, in the order its hosts fetch (queue name, then job id).
        var cs = await Cluster.NewDatabaseAsync(server, "requeue");
        using var web = Cluster.WebNode(cs);
        var launcher = web.Services.GetRequiredService<RunLauncher>();
        long urgent = (await launcher.LaunchAsync(SpecJson.Parse(Short("urgent", 5)))).RunIds[0];
        var sweep = new List<long>();
        for (int i = 0; i < 5; i++) sweep.Add((await launcher.LaunchAsync(SpecJson.Parse(Short("sweep", 0)))).RunIds[0]);
        var dbs = web.Services.GetRequiredService<IDbContextFactory<DashboardDb>>();
        async Task<List<(long Run, long Job)>> Queue()
        {
            await using var db = await dbs.CreateDbContextAsync();
            return [.. (await db.Database.SqlQuery<QueueRow>($"""
                SELECT (j.arguments::jsonb ->> 0)::bigint AS "Run", q.jobid AS "Job" FROM hangfire.jobqueue q JOIN hangfire.job j ON j.id = q.jobid
                WHERE q.fetchedat IS NULL ORDER BY q.fetchedat NULLS FIRST, q.queue, q.jobid
                """).ToListAsync()).Select(r => (r.Run, r.Job))];
        }
        Assert.Equal([urgent, .. sweep], (await Queue()).Select(q => q.Run));

        // A host without the GPUs the urgent run asks for took it (its queue row gone) and put its job off for a few
        // seconds (TrainRunJob); meanwhile more of the sweep is queued.
        long job = (await Queue()).First().Job;
        await using (var db = await dbs.CreateDbContextAsync())
            await db.Database.ExecuteSqlAsync($"DELETE FROM hangfire.jobqueue WHERE jobid = {job}");
        var jobs = web.Services.GetRequiredService<IBackgroundJobClient>();
        Assert.True(jobs.ChangeState(job.ToString(), new ScheduledState(TimeSpan.FromSeconds(5)), EnqueuedState.StateName));
        sweep.Add((await launcher.LaunchAsync(SpecJson.Parse(Short("sweep", 0)))).RunIds[0]);
        Assert.Equal(sweep, (await Queue()).Select(q => q.Run));

        // When it is due, the same job is queued again, in the queue of its priority: ahead of the sweep queued
        // before and after it, not behind everything queued meanwhile.
        Assert.True(jobs.Requeue(job.ToString()));
        Assert.Equal([urgent, .. sweep], (await Queue()).Select(q => q.Run));
    }

    private sealed record QueueRow(long Run, long Job);
}
