using Dashboard.Data;
using Dashboard.Data.Tests;
using Dashboard.Training.Specs;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Cluster.Tests;

/// <summary>A database of the version before Hangfire: its old job tables go at start, and its queued runs are trained.</summary>
public sealed class UpgradeTests(PostgresServer server) : ClusterTest("dashboard-upgrade"), IClassFixture<PostgresServer>
{
    [Fact]
    public async Task The_old_job_tables_are_dropped_at_start_and_a_run_queued_before_the_upgrade_is_trained()
    {
        await server.CreateDatabaseAsync("upgrade");
        var storage = new StorageOptions { ConnectionString = server.ConnectionString("upgrade") };
        await using (var db = DataServices.Open(storage))
        {
            // The schema as the last version before Hangfire left it, with the old engine's tables and a run it had queued.
            await db.Database.MigrateAsync("20261122000009_Users");
            await db.Database.ExecuteSqlRawAsync("CREATE TABLE qrtz_job_details (sched_name text, job_name text, PRIMARY KEY (sched_name, job_name))");
            await db.Database.ExecuteSqlRawAsync("CREATE TABLE qrtz_triggers (sched_name text, job_name text, FOREIGN KEY (sched_name, job_name) REFERENCES qrtz_job_details)");
            var spec = SpecJson.Parse("""
                { "name": "old", "dataset": { "name": "hyperspheres", "n": 200, "p": 4, "d": 2, "classes": 2 },
                  "model": { "name": "mlp", "layer_size": [8] }, "batch_size": 40, "max_epochs": 1 }
                """);
            var experiment = new Experiment { Name = "old", Spec = SpecJson.Serialize(spec), CreatedAt = DateTime.UtcNow };
            experiment.Runs.Add(new Run { Project = "old", Number = 1, Spec = SpecJson.Serialize(spec), CreatedAt = DateTime.UtcNow, MaxEpochs = 1 });
            db.Experiments.Add(experiment);
            await db.SaveChangesAsync();
        }

        // A worker of this version upgrades the database as it starts, and trains the run.
        using var worker = new WorkerProcess(storage.ConnectionString!, DataDir);
        await using var check = DataServices.Open(storage);
        var run = await Cluster.Eventually(async () => await check.Runs.AsNoTracking().SingleAsync() is { Status: RunStatus.Completed } r ? r : null,
            TimeSpan.FromSeconds(90), () => "the run queued before the upgrade was not trained\n" + worker.Output);
        Assert.Equal("old/00001", run.DisplayName);
        var left = await check.Database.SqlQueryRaw<string>("SELECT table_name AS \"Value\" FROM information_schema.tables WHERE table_name LIKE 'qrtz%'").ToListAsync();
        Assert.Empty(left);
        Assert.Contains("Queued 1 runs that had no job", worker.Output);
    }
}
