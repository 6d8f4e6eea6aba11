using Dashboard.Data;
using Dashboard.Data.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;

/// <summary>
/// Where the cost benchmarks (logging, system sampling) log: a fresh SQLite store in a folder, one run with its first
/// attempt, and a started metric writer.
/// </summary>
internal sealed record CostStore(IDbContextFactory<DashboardDb> Dbs, RunEvents Events, MetricWriter Writer, long RunId, long AttemptId) : IDisposable
{
    public static async Task<CostStore> CreateAsync(string dataDir)
    {
        var storage = new StorageOptions { DataDir = dataDir };
        await DatabaseSetup.MigrateAsync(storage);
        var dbs = new Factory(storage);
        long runId, attemptId;
        await using (var db = dbs.CreateDbContext())
        {
            var e = new Experiment { Name = "cost", Spec = "{}", CreatedAt = DateTime.UtcNow };
            e.Runs.Add(new Run { Project = "cost", Number = 1, Spec = "{}", CreatedAt = DateTime.UtcNow });
            db.Experiments.Add(e);
            await db.SaveChangesAsync();
            runId = e.Runs[0].Id;
            var attempt = new RunAttempt { RunId = runId, Number = 1, Host = "bench", Devices = "cpu", StartedAt = DateTime.UtcNow };
            db.RunAttempts.Add(attempt);
            await db.SaveChangesAsync();
            attemptId = attempt.Id;
        }
        var events = new RunEvents();
        var writer = new MetricWriter(new SqliteMetricStore(storage), events, new MetricsOptions(), NullLogger<MetricWriter>.Instance);
        await writer.StartAsync(CancellationToken.None);
        return new CostStore(dbs, events, writer, runId, attemptId);
    }

    public void Dispose() => Writer.Dispose();

    private sealed class Factory(StorageOptions storage) : IDbContextFactory<DashboardDb>
    {
        public DashboardDb CreateDbContext() => DataServices.Open(storage);
    }
}
