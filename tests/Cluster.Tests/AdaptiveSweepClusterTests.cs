using System.Text.Json;
using Dashboard.Data;
using Dashboard.Data.Tests;
using Dashboard.Training.Specs;
using Dashboard.Training.Worker;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Cluster.Tests;

/// <summary>
/// A tpe sweep with early stopping over two worker processes on PostgreSQL: the proposals and the rung decisions are
/// made by whichever host ends or trains a run, against the same rows, so the budget is made exactly and every
/// decision is the one the stored rung values give.
/// </summary>
public sealed class AdaptiveSweepClusterTests(PostgresServer server) : ClusterTest("dashboard-adaptive"), IClassFixture<PostgresServer>
{
    [Fact]
    public async Task Two_hosts_make_a_tpe_budget_exactly_and_stop_runs_as_the_stored_rungs_decide()
    {
        var cs = await Cluster.NewDatabaseAsync(server, "adaptive");
        var workers = await Cluster.StartWorkersAsync(cs, DataDir, 2);
        using var first = workers[0];
        using var second = workers[1];
        using var web = Cluster.WebNode(cs);
        var launcher = web.Services.GetRequiredService<RunLauncher>();
        var launched = await launcher.LaunchAsync(SpecJson.Parse("""
            { "name": "adaptive", "dataset": { "name": "hyperspheres", "n": 1500, "p": 8, "d": 2, "classes": 2 },
              "model": { "name": "mlp", "layer_size": [32] }, "batch_size": 16, "max_epochs": 3,
              "sweep": { "method": "tpe", "budget": 8, "parallel": 2,
                         "parameters": { "optimizer.lr": { "min": 0.000001, "max": 0.1, "distribution": "log_uniform" } },
                         "early_stop": { "type": "asha", "metric": "val_loss", "min_epochs": 1, "reduction_factor": 2 } } }
            """));
        var dbs = web.Services.GetRequiredService<IDbContextFactory<DashboardDb>>();
        var runs = await Cluster.Eventually(async () =>
        {
            await using var db = await dbs.CreateDbContextAsync();
            var all = await db.Runs.AsNoTracking().Where(r => r.ExperimentId == launched.ExperimentId).OrderBy(r => r.SweepIndex).ToListAsync();
            return all.Count == 8 && all.All(r => RunStatus.IsFinished(r.Status)) ? all : null;
        }, TimeSpan.FromSeconds(120), () => "the sweep did not finish\n" + Cluster.Logs(workers));
        await Task.Delay(1000);

        await using var check = await dbs.CreateDbContextAsync();
        runs = await check.Runs.AsNoTracking().Where(r => r.ExperimentId == launched.ExperimentId).OrderBy(r => r.SweepIndex).ToListAsync();
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7], runs.Select(r => r.SweepIndex!.Value));
        Assert.Equal(2, (await check.RunAttempts.Where(a => runs.Select(r => r.Id).Contains(a.RunId)).Select(a => a.Host).Distinct().ToListAsync()).Count);
        var spec = JsonSerializer.Deserialize<SweepSpec>((await check.Experiments.FindAsync(launched.ExperimentId))!.Sweep!, SpecJson.Options)!.EarlyStop!;
        var rows = await EarlyStopping.ValuesAsync(check, launched.ExperimentId);
        foreach (var run in runs)
        {
            var decision = Asha.Decide(spec, rows, run.Id.ToString());
            if (run.Status == RunStatus.Stopped) Assert.Equal($"{decision!.StoppedText}: {decision.Reason}", run.Error);
            else Assert.True(run.Status == RunStatus.Completed && decision?.Stop != true, $"{run.DisplayName}: {run.Status} {run.Error}; {decision?.Reason}");
        }
        Assert.Contains(runs, r => r.Status == RunStatus.Stopped);
    }

    [Fact]
    public async Task A_host_killed_mid_sweep_changes_no_decision_and_the_other_finishes_the_budget()
    {
        var cs = await Cluster.NewDatabaseAsync(server, "adaptivekill");
        var workers = await Cluster.StartWorkersAsync(cs, DataDir, 2);
        using var first = workers[0];
        using var second = workers[1];
        using var web = Cluster.WebNode(cs);
        var launched = await web.Services.GetRequiredService<RunLauncher>().LaunchAsync(SpecJson.Parse("""
            { "name": "adaptivekill", "dataset": { "name": "hyperspheres", "n": 3000, "p": 16, "d": 3, "classes": 3 },
              "model": { "name": "mlp", "layer_size": [64, 64] }, "batch_size": 8, "max_epochs": 4, "checkpoint": { "every": 1 },
              "sweep": { "method": "tpe", "budget": 6, "parallel": 2,
                         "parameters": { "optimizer.lr": { "min": 0.00001, "max": 0.1, "distribution": "log_uniform" } },
                         "early_stop": { "type": "asha", "metric": "val_loss", "min_epochs": 1, "reduction_factor": 2 } } }
            """));
        var dbs = web.Services.GetRequiredService<IDbContextFactory<DashboardDb>>();

        // Once a rung has been reached and a run is past it on some host, that host is killed (kill -9) mid-epoch.
        var training = await Cluster.Eventually(async () =>
        {
            await using var db = await dbs.CreateDbContextAsync();
            if (!await db.RungArrivals.AnyAsync(a => a.ExperimentId == launched.ExperimentId)) return null;
            var run = await db.Runs.AsNoTracking().Where(r => r.ExperimentId == launched.ExperimentId && r.Status == RunStatus.Running && r.Epoch >= 1)
                .FirstOrDefaultAsync();
            return run is null ? null : await db.RunAttempts.AsNoTracking().Where(a => a.RunId == run.Id && a.EndedAt == null).FirstOrDefaultAsync();
        }, TimeSpan.FromSeconds(180), () => "no run went past its first rung\n" + Cluster.Logs(workers));
        var victim = workers.Single(w => w.Is(training.Host));
        victim.KillHard();

        var runs = await Cluster.Eventually(async () =>
        {
            await using var db = await dbs.CreateDbContextAsync();
            var all = await db.Runs.AsNoTracking().Where(r => r.ExperimentId == launched.ExperimentId).OrderBy(r => r.SweepIndex).ToListAsync();
            return all.Count == 6 && all.All(r => RunStatus.IsFinished(r.Status)) ? all : null;
        }, TimeSpan.FromSeconds(300), () => "the sweep did not finish after a host was killed\n" + Cluster.Logs(workers));
        await Task.Delay(1000);

        await using var check = await dbs.CreateDbContextAsync();
        runs = await check.Runs.AsNoTracking().Where(r => r.ExperimentId == launched.ExperimentId).OrderBy(r => r.SweepIndex).ToListAsync();
        // The budget made exactly, each index once.
        Assert.Equal([0, 1, 2, 3, 4, 5], runs.Select(r => r.SweepIndex!.Value));
        // The killed run was lost on its host and went on elsewhere.
        var attempts = await check.RunAttempts.AsNoTracking().Where(a => a.RunId == training.RunId).OrderBy(a => a.Number).ToListAsync();
        Assert.True(attempts.Count >= 2, $"the killed run has {attempts.Count} attempt(s)");
        Assert.Equal("lost", attempts[0].Outcome);
        Assert.DoesNotContain(attempts.Skip(1), a => victim.Is(a.Host));
        // Each rung reached once per run, whatever host reached it.
        var arrivals = await check.RungArrivals.AsNoTracking().Where(a => a.ExperimentId == launched.ExperimentId).ToListAsync();
        Assert.Equal(arrivals.Count, arrivals.Select(a => (a.RunId, a.RungEpoch)).Distinct().Count());
        // Every run ended as the stored rung values decide; a stopped one at the epoch of its rung.
        var spec = JsonSerializer.Deserialize<SweepSpec>((await check.Experiments.FindAsync(launched.ExperimentId))!.Sweep!, SpecJson.Options)!.EarlyStop!;
        var rows = await EarlyStopping.ValuesAsync(check, launched.ExperimentId);
        foreach (var run in runs)
        {
            var decision = Asha.Decide(spec, rows, run.Id.ToString());
            if (run.Status == RunStatus.Stopped) Assert.Equal($"{decision!.StoppedText}: {decision.Reason}", run.Error);
            else Assert.True(run.Status == RunStatus.Completed && decision?.Stop != true, $"{run.DisplayName}: {run.Status} {run.Error}; {decision?.Reason}\n{Cluster.Logs(workers)}");
        }
    }
}
