using Dashboard.Data.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dashboard.Data.Tests;

/// <summary>The metric path and the event relay while PostgreSQL goes away and comes back (a server of their own).</summary>
public sealed class PostgresFaultTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    private async Task<(StorageOptions Storage, long RunId)> NewRunAsync()
    {
        var name = "f" + Guid.NewGuid().ToString("N")[..12];
        await server.CreateDatabaseAsync(name);
        var storage = new StorageOptions { ConnectionString = server.ConnectionString(name) };
        await DatabaseSetup.MigrateAsync(storage);
        return (storage, await DataLayerTests.AddRunAsync(storage));
    }

    [Fact]
    public async Task Points_logged_while_the_server_is_down_are_stored_once_it_is_back()
    {
        var (storage, id) = await NewRunAsync();
        using var writer = new MetricWriter(new PostgresMetricStore(storage), new RunEvents(), new MetricsOptions(), NullLogger<MetricWriter>.Instance);
        await writer.StartAsync(CancellationToken.None);
        var t0 = DateTime.UtcNow;
        MetricPoint P(long step) => new() { RunId = id, Key = "loss", Step = step, Value = 1.0 / step, Time = t0.AddMilliseconds(step) };

        for (int step = 1; step <= 1000; step++) writer.Enqueue(P(step));
        await writer.FlushAsync();
        await server.StopAsync();
        // Training goes on: enqueueing does not wait or throw while the database is away.
        for (int step = 1001; step <= 3000; step++) writer.Enqueue(P(step));
        var flushed = writer.FlushAsync();
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.False(flushed.IsCompleted, "the points cannot have been stored while the server was down");
        await server.StartAsync();
        await flushed.WaitAsync(TimeSpan.FromSeconds(60));
        await writer.StopAsync(CancellationToken.None);

        await using var db = DataLayerTests.Open(storage);
        var steps = await db.MetricPoints.Where(p => p.RunId == id).OrderBy(p => p.Step).Select(p => p.Step).ToListAsync();
        Assert.Equal(Enumerable.Range(1, 3000).Select(i => (long)i), steps);
        Assert.Equal(3000, (await db.MetricSummaries.SingleAsync(s => s.RunId == id)).LastStep);
    }

    [Fact]
    public async Task A_process_hears_the_run_events_of_another_and_goes_on_hearing_after_a_restart()
    {
        var (storage, id) = await NewRunAsync();
        RunEvents worker = new(), web = new();
        var heard = new List<RunEvent>();
        var heardOwn = new List<RunEvent>();
        using var onWeb = web.Subscribe(e => { lock (heard) heard.Add(e); });
        using var onWorker = worker.Subscribe(e => { if (e.Remote) lock (heardOwn) heardOwn.Add(e); });
        using var workerRelay = new PostgresRunEventRelay(storage, worker, NullLogger<PostgresRunEventRelay>.Instance);
        using var webRelay = new PostgresRunEventRelay(storage, web, NullLogger<PostgresRunEventRelay>.Instance);
        await workerRelay.StartAsync(CancellationToken.None);
        await webRelay.StartAsync(CancellationToken.None);

        async Task HearsAsync(RunEvent sent)
        {
            // LISTEN may not be in place yet: publish until heard.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                worker.Publish(sent);
                await Task.Delay(200);
                lock (heard) if (heard.Contains(sent with { Remote = true })) return;
                Assert.True(DateTime.UtcNow < deadline, $"{sent} not heard by the other process");
            }
        }

        await HearsAsync(new RunEvent(id, RunEventKind.StatusChanged));
        await server.StopAsync();
        await server.StartAsync();
        await HearsAsync(new RunEvent(id, RunEventKind.MetricsWritten));
        lock (heardOwn) Assert.Empty(heardOwn);   // a process does not hear itself as another

        await workerRelay.StopAsync(CancellationToken.None);
        await webRelay.StopAsync(CancellationToken.None);
    }
}
