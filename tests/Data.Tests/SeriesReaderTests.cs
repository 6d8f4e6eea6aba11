using Dashboard.Data.Metrics;

namespace Dashboard.Data.Tests;

/// <summary>The compare page's bulk reader gives back exactly what was stored, on SQLite (its own statement loop)
/// and on PostgreSQL (a data reader).</summary>
public abstract class SeriesReaderTests
{
    protected abstract Task<StorageOptions> NewDatabaseAsync();

    [Fact]
    public async Task Each_runs_series_comes_back_whole_in_step_order_with_its_times_and_nothing_of_other_keys_or_runs()
    {
        var storage = await NewDatabaseAsync();
        await DatabaseSetup.MigrateAsync(storage);
        var a = await DataLayerTests.AddRunAsync(storage, "read", 1);
        var b = await DataLayerTests.AddRunAsync(storage, "read", 2);
        var empty = await DataLayerTests.AddRunAsync(storage, "read", 3);
        var t0 = new DateTime(2026, 11, 22, 9, 30, 0, DateTimeKind.Utc);
        var points = new List<MetricPoint>();
        // Stored newest first, and mixed with another key: order comes from the read, not from the writes.
        for (int s = 300; s >= 1; s--)
        {
            points.Add(new MetricPoint { RunId = a, Key = "loss", Step = s, Value = 1.0 / s, Time = t0.AddTicks(s * 1_234_567) });
            points.Add(new MetricPoint { RunId = a, Key = "lr", Step = s, Value = 0.1, Time = t0 });
            if (s % 3 == 0) points.Add(new MetricPoint { RunId = b, Key = "loss", Step = s, Value = -s, Time = t0.AddSeconds(s) });
        }
        await (storage.Provider == StorageProvider.Postgres ? (IMetricStore)new PostgresMetricStore(storage) : new SqliteMetricStore(storage))
            .AppendAsync(points, CancellationToken.None);

        await using var db = DataServices.Open(storage);
        await using var reader = await SeriesReader.OpenAsync(db, "loss", withTimes: true, CancellationToken.None);
        var series = new StoredSeries();
        await reader.ReadAsync(a, series, CancellationToken.None);
        var expected = points.Where(p => p.RunId == a && p.Key == "loss").OrderBy(p => p.Step).ToList();
        Assert.Equal(expected.Select(p => (p.Step, p.Value)), series.Points);
        // PostgreSQL keeps microseconds, SQLite the full tick.
        Assert.Equal(expected.Select(p => p.Time.Ticks / 10), series.Times.Select(t => t.Ticks / 10));
        Assert.All(series.Times, t => Assert.Equal(DateTimeKind.Utc, t.Kind));

        // The same object is refilled for the next run.
        await reader.ReadAsync(b, series, CancellationToken.None);
        Assert.Equal(Enumerable.Range(1, 100).Select(i => ((long)(3 * i), (double)(-3 * i))), series.Points);
        await reader.ReadAsync(empty, series, CancellationToken.None);
        Assert.Empty(series.Points);
        Assert.Empty(series.Times);
    }
}

public sealed class SqliteSeriesReaderTests : SeriesReaderTests, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dashboard-series").FullName;

    protected override Task<StorageOptions> NewDatabaseAsync() => Task.FromResult(new StorageOptions { DataDir = _dir });

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

public sealed class PostgresSeriesReaderTests(PostgresServer server) : SeriesReaderTests, IClassFixture<PostgresServer>
{
    protected override async Task<StorageOptions> NewDatabaseAsync()
    {
        var name = "s" + Guid.NewGuid().ToString("N")[..12];
        await server.CreateDatabaseAsync(name);
        return new StorageOptions { ConnectionString = server.ConnectionString(name) };
    }
}
