// Points per second through the real metric write path (MetricWriter -> IMetricStore) into a fresh database.
//   dotnet Dashboard.Bench.Ingest.dll sqlite DIR [POINTS] [RUNS]
//   dotnet Dashboard.Bench.Ingest.dll postgres CONNECTION_STRING [POINTS] [RUNS]
//   dotnet Dashboard.Bench.Ingest.dll logging-cost DIR [ROUNDS]   (see LoggingCost.cs)
//   dotnet Dashboard.Bench.Ingest.dll sampling-cost DIR [ROUNDS]  (see SamplingCost.cs)
// Trainers' shape: RUNS runs logging 7 keys a step, interleaved. Prints progress lines and one JSON line.
using System.Diagnostics;
using System.Text.Json;
using Dashboard.Data;
using Dashboard.Data.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;

if (args.Length < 2) { Console.Error.WriteLine("usage: sqlite DIR | postgres CONNECTION_STRING [POINTS] [RUNS] | logging-cost DIR [ROUNDS] | sampling-cost DIR [ROUNDS]"); return 2; }
if (args[0] == "sampling-cost") return await SamplingCost.RunAsync(args[1], args.Length > 2 ? int.Parse(args[2]) : 5);
if (args[0] == "logging-cost") return await LoggingCost.RunAsync(args[1], args.Length > 2 ? int.Parse(args[2]) : 3);
var storage = args[0] == "postgres" ? new StorageOptions { ConnectionString = args[1] } : new StorageOptions { DataDir = args[1] };
long total = args.Length > 2 ? long.Parse(args[2]) : 1_000_000;
int runs = args.Length > 3 ? int.Parse(args[3]) : 10;
string[] keys = ["loss", "lr", "batch_size", "updates", "samples", "flops", "elapsed"];

await DatabaseSetup.MigrateAsync(storage);
var runIds = new long[runs];
await using (var db = DataServices.Open(storage))
{
    var e = new Experiment { Name = "ingest", Spec = "{}", CreatedAt = DateTime.UtcNow };
    for (int r = 0; r < runs; r++) e.Runs.Add(new Run { Project = "ingest", Number = r + 1, Spec = "{}", CreatedAt = DateTime.UtcNow });
    db.Experiments.Add(e);
    await db.SaveChangesAsync();
    for (int r = 0; r < runs; r++) runIds[r] = e.Runs[r].Id;
}

IMetricStore store = storage.Provider == StorageProvider.Postgres ? new PostgresMetricStore(storage) : new SqliteMetricStore(storage);
using var writer = new MetricWriter(store, new RunEvents(), new MetricsOptions { BufferPoints = 2_000_000 }, NullLogger<MetricWriter>.Instance);
await writer.StartAsync(CancellationToken.None);

// Warm-up: first connection, JIT, prepared statements.
writer.Enqueue(new MetricPoint { RunId = runIds[0], Key = "warmup", Step = 0, Value = 0, Time = DateTime.UtcNow });
await writer.FlushAsync();

var clock = Stopwatch.StartNew();
var t0 = DateTime.UtcNow;
long sent = 0, step = 0;
var nextReport = TimeSpan.FromSeconds(2);
while (sent < total)
{
    step++;
    for (int r = 0; r < runs && sent < total; r++)
        foreach (var key in keys)
        {
            if (sent++ >= total) break;
            writer.Enqueue(new MetricPoint { RunId = runIds[r], Key = key, Step = step, Value = 1.0 / step, Time = t0.AddMilliseconds(step) });
        }
    if (clock.Elapsed >= nextReport)
    {
        Console.Error.WriteLine($"  {sent:N0} of {total:N0} points queued ({100 * sent / total}%)");
        nextReport += TimeSpan.FromSeconds(2);
    }
}
await writer.FlushAsync();
double seconds = clock.Elapsed.TotalSeconds;
await writer.StopAsync(CancellationToken.None);

long stored;
await using (var db = DataServices.Open(storage))
    stored = await db.MetricPoints.LongCountAsync(p => p.Key != "warmup");
if (stored != total) { Console.Error.WriteLine($"stored {stored} points of {total}"); return 1; }
Console.WriteLine(JsonSerializer.Serialize(new { provider = storage.Provider.ToString().ToLowerInvariant(), points = total, runs, seconds, points_per_s = total / seconds }));
return 0;
