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
            // Written in SQL: the entities of this version have columns the old schema lacks.
            var json = SpecJson.Serialize(spec);
            await db.Database.ExecuteSqlAsync($"INSERT INTO experiments (name, spec, created_at) VALUES ('old', {json}, now())");
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO runs (experiment_id, project, number, status, spec, created_at, epoch, max_epochs)
                SELECT id, 'old', 1, {RunStatus.Queued}, {json}, now(), 0, 1 FROM experiments
                """);
        }

        // A worker of this version upgrades the database as it starts, and trains the run.
        using var worker = new WorkerProcess(storage.ConnectionString!, DataDir);
        await using var check = DataServices.Open(storage);
        // Read the runs through this version's entities once the worker has upgraded the schema.
        await Cluster.Eventually(async () => (await check.Database.GetPendingMigrationsAsync()).Any() ? null : "upgraded",
            TimeSpan.FromSeconds(60), () => "the worker did not upgrade the database\n" + worker.Output);
        var run = await Cluster.Eventually(async () => await check.Runs.AsNoTracking().SingleAsync() is { Status: RunStatus.Completed } r ? r : null,
            TimeSpan.FromSeconds(90), () => "the run queued before the upgrade was not trained\n" + worker.Output);
        Assert.Equal("old/00001", run.DisplayName);
        var left = await check.Database.SqlQueryRaw<string>("SELECT table_name AS \"Value\" FROM information_schema.tables WHERE table_name LIKE 'qrtz%'").ToListAsync();
        Assert.Empty(left);
        Assert.Contains("Queued 1 runs that had no job", worker.Output);
    }
}
