using Dashboard.Data;
using Dashboard.Data.Tests;
using Dashboard.Training.Specs;
using Dashboard.Training.Worker;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Cluster.Tests;

/// <summary>
/// An ensemble asked for on a web node that reads no checkpoints, evaluated by the worker process whose disk holds
/// them; runs whose last checkpoints are on two machines' own disks are refused unless the data folder is shared.
/// </summary>
public sealed class EnsembleClusterTests(PostgresServer server) : ClusterTest("dashboard-ensemble"), IClassFixture<PostgresServer>
{
    private const string Spec = """
        { "name": "cens", "dataset": { "name": "hyperspheres", "n": 300, "p": 6, "d": 2, "classes": 3, "noise": 0.3 },
          "model": { "name": "mlp", "layer_size": [8] }, "batch_size": 30, "max_epochs": 2, "seed": 7,
          "sweep": { "method": "grid", "parameters": { "optimizer.lr": [0.02, 0.2] } } }
        """;

    [Fact]
    public async Task The_worker_holding_the_checkpoints_evaluates_an_ensemble_asked_for_on_the_web_node()
    {
        var cs = await Cluster.NewDatabaseAsync(server, "ensemble");
        using var worker = (await Cluster.StartWorkersAsync(cs, DataDir, 1))[0];
        using var web = Cluster.WebNode(cs);
        var dbs = web.Services.GetRequiredService<IDbContextFactory<DashboardDb>>();
        var runs = (await web.Services.GetRequiredService<RunLauncher>().LaunchAsync(SpecJson.Parse(Spec))).RunIds;
        await Cluster.Eventually(async () =>
        {
            await using var db = await dbs.CreateDbContextAsync();
            return await db.Runs.CountAsync(r => r.Status == RunStatus.Completed) == 2 ? "" : null;
        }, TimeSpan.FromSeconds(120), () => "runs not trained\n" + worker.Output);

        var launcher = web.Services.GetRequiredService<EnsembleLauncher>();
        var (ensemble, errors) = await launcher.CreateAsync(runs, null, null, "ann");
        Assert.False(errors.Any, errors.ToString());
        Assert.Equal(ProcessIdentity.Machine, ensemble!.Host);
        var done = await Cluster.Eventually(async () =>
        {
            await using var db = await dbs.CreateDbContextAsync();
            var e = await db.Ensembles.AsNoTracking().Include(x => x.Members).SingleAsync(x => x.Id == ensemble.Id);
            return EnsembleStatus.IsFinished(e.Status) ? e : null;
        }, TimeSpan.FromSeconds(60), () => "ensemble not evaluated\n" + worker.Output);
        Assert.True(done.Status == EnsembleStatus.Done, done.Error);
        Assert.Equal(2, done.Evaluated);
        Assert.All(done.Members, m => Assert.Equal("epoch-0002.pt", m.CheckpointFile));
        Assert.True(done.Loss <= done.Members.Average(m => m.Loss));
        // The web node's own data folder holds no checkpoint: the worker read them.
        Assert.False(Directory.Exists(web.Services.GetRequiredService<StorageOptions>().CheckpointDir(runs[0])));

        // The second run's last attempt on another machine's disk: no worker reads both.
        await using (var db = await dbs.CreateDbContextAsync())
        {
            db.RunAttempts.Add(new RunAttempt { RunId = runs[1], Number = 2, Host = "gpu7:41:beef", StartedAt = DateTime.UtcNow, EndedAt = DateTime.UtcNow, Outcome = RunStatus.Completed });
            await db.SaveChangesAsync();
        }
        var (refused, why) = await launcher.CreateAsync(runs, null, null, "ann");
        Assert.Null(refused);
        Assert.Equal([$"the checkpoints are on different hosts ({ProcessIdentity.Machine}: cens/00001; gpu7: cens/00002) and no worker reads them all; " +
            "with a data folder shared by every host, set Storage:SharedDataDir"], why.For("runs").ToArray());

        // With the data folder shared, any worker evaluates it.
        var shared = new EnsembleLauncher(dbs, web.Services.GetRequiredService<IBackgroundJobClient>(), new StorageOptions { ConnectionString = cs, SharedDataDir = true });
        var (anywhere, none) = await shared.CreateAsync(runs, "shared", null, "ann");
        Assert.False(none.Any, none.ToString());
        Assert.Null(anywhere!.Host);
        await Cluster.Eventually(async () =>
        {
            await using var db = await dbs.CreateDbContextAsync();
            return await db.Ensembles.AnyAsync(x => x.Id == anywhere.Id && x.Status == EnsembleStatus.Done) ? "" : null;
        }, TimeSpan.FromSeconds(60), () => "shared ensemble not evaluated\n" + worker.Output);
    }
}
