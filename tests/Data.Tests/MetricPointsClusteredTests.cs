using Dashboard.Data.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dashboard.Data.Tests;

/// <summary>Migration 0008 on a SQLite file that already holds points: they are all kept, in key order.</summary>
public sealed class MetricPointsClusteredTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dashboard-clustered").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Points_stored_before_the_upgrade_read_back_the_same_after_it_and_go_with_their_run()
    {
        var storage = new StorageOptions { DataDir = _dir };
        await using (var db = DataServices.Open(storage))
            await db.GetService<IMigrator>().MigrateAsync("20261122000007_RunBrowser");
        long id;
        // Written as SQL: the EF model is the latest schema's, which has columns this older one lacks.
        await using (var db = DataServices.Open(storage))
        {
            await db.Database.ExecuteSqlRawAsync("INSERT INTO experiments (name, spec, created_at) VALUES ('hps', '{{}}', '2026-11-22 08:00:00')");
            await db.Database.ExecuteSqlRawAsync("""
                INSERT INTO runs (experiment_id, project, number, status, spec, created_at, epoch, max_epochs, params, tags, notes)
                VALUES (1, 'hps', 1, 'queued', '{{}}', '2026-11-22 08:00:00', 0, 1, '{{}}', '', '')
                """);
            id = await db.Database.SqlQueryRaw<long>("SELECT id AS Value FROM runs").SingleAsync();
        }
        var t0 = new DateTime(2026, 11, 22, 8, 0, 0, DateTimeKind.Utc);
        // Interleaved as trainers write them: every key at each step.
        var points = Enumerable.Range(1, 500).SelectMany(s => new[] { "loss", "lr", "updates" }.Select(k =>
            new MetricPoint { RunId = id, Key = k, Step = s, Value = k == "lr" ? 0.1 : 1.0 / s, Time = t0.AddMilliseconds(10 * s) })).ToList();
        await new SqliteMetricStore(storage).AppendAsync(points, CancellationToken.None);

        await DatabaseSetup.MigrateAsync(storage);

        await using (var db = DataServices.Open(storage))
        {
            var sql = await db.Database.SqlQueryRaw<string>("SELECT sql AS Value FROM sqlite_master WHERE name = 'metric_points'").SingleAsync();
            Assert.Contains("WITHOUT ROWID", sql);
            var loss = await db.MetricPoints.Where(p => p.RunId == id && p.Key == "loss").OrderBy(p => p.Step).ToListAsync();
            Assert.Equal(points.Where(p => p.Key == "loss").Select(p => (p.Step, p.Value, p.Time)), loss.Select(p => (p.Step, p.Value, p.Time)));
            Assert.Equal(1500, await db.MetricPoints.CountAsync());
            // New points still go in, and a second point at a stored (run, key, step) is still refused.
            await new SqliteMetricStore(storage).AppendAsync([new MetricPoint { RunId = id, Key = "loss", Step = 501, Value = 0.5, Time = t0 }], CancellationToken.None);
            await Assert.ThrowsAsync<Microsoft.Data.Sqlite.SqliteException>(() =>
                new SqliteMetricStore(storage).AppendAsync([new MetricPoint { RunId = id, Key = "loss", Step = 501, Value = 0.7, Time = t0 }], CancellationToken.None));
            Assert.Equal(0.5, (await db.MetricPoints.SingleAsync(p => p.RunId == id && p.Key == "loss" && p.Step == 501)).Value);

            db.Runs.Remove(await db.Runs.SingleAsync(r => r.Id == id));
            await db.SaveChangesAsync();
            Assert.Equal(0, await db.MetricPoints.CountAsync());
        }
    }
}
