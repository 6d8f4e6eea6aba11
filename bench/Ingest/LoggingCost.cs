using System.Diagnostics;
using Dashboard.Data;
using Dashboard.Data.Metrics;
using Dashboard.Training;
using Dashboard.Training.Datasets;
using Dashboard.Training.Engine;
using Dashboard.Training.Native;
using Dashboard.Training.Specs;
using Dashboard.Training.Worker;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;

/// <summary>
/// What logging costs a training step: the same training with the worker's sink (every step's 7 points through the
/// metric writer into SQLite, epoch progress) and with a sink that drops them, alternating; the script reports the median of the pairs.
/// </summary>
public static class LoggingCost
{
    private sealed class Dropping : ITrainingSink
    {
        public void Log(IReadOnlyList<MetricSample> samples) { }
    }

    public static async Task<int> RunAsync(string dataDir, int rounds)
    {
        var spec = SpecJson.Parse("""
            { "name": "cost", "dataset": { "name": "fashion_mnist", "size": 12000 },
              "model": { "name": "mlp", "layer_size": [256, 128, 100] },
              "optimizer": { "name": "sgd_momentum_wdecay", "lr": 0.01, "regularization": 0.001 },
              "batch_size": 128, "max_epochs": 3, "log_every": 1 }
            """);
        var options = new TrainingOptions();
        Torch.Threads = options.EffectiveThreads;
        var data = DatasetLoader.Load(spec.Dataset!, spec.Seed, options);

        var storage = new StorageOptions { DataDir = dataDir };
        await DatabaseSetup.MigrateAsync(storage);
        var dbs = new Factory(storage);
        long runId;
        await using (var db = dbs.CreateDbContext())
        {
            var e = new Experiment { Name = "cost", Spec = "{}", CreatedAt = DateTime.UtcNow };
            e.Runs.Add(new Run { Project = "cost", Number = 1, Spec = "{}", CreatedAt = DateTime.UtcNow });
            db.Experiments.Add(e);
            await db.SaveChangesAsync();
            runId = e.Runs[0].Id;
        }
        var events = new RunEvents();
        using var writer = new MetricWriter(new SqliteMetricStore(storage), events, new MetricsOptions(), NullLogger<MetricWriter>.Instance);
        await writer.StartAsync(CancellationToken.None);

        double Train(ITrainingSink sink)
        {
            var result = Trainer.Train(spec, data, sink, CancellationToken.None);
            return result.Final["samples_per_s"];
        }

        Train(new Dropping());  // warm-up: JIT, first allocations
        var dropping = new List<double>();
        var logging = new List<double>();
        for (int round = 1; round <= rounds; round++)
        {
            dropping.Add(Train(new Dropping()));
            // Each logging round a fresh history: the trainer counts steps from 1 again.
            await using (var db = dbs.CreateDbContext())
                await db.MetricPoints.Where(p => p.RunId == runId).ExecuteDeleteAsync();
            var sink = new RunSink(runId, dbs, writer, events, NullLogger.Instance);
            logging.Add(Train(sink));
            await sink.Drain();
            await writer.FlushAsync();
            Console.Error.WriteLine($"  round {round}/{rounds}: dropping {dropping[^1]:F0}, logging {logging[^1]:F0} samples/s");
        }
        await writer.StopAsync(CancellationToken.None);
        double best = dropping.Max(), bestLogging = logging.Max();
        Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new
        {
            dropping_samples_per_s = best, logging_samples_per_s = bestLogging, cost_percent = 100 * (1 - bestLogging / best),
            dropping_runs = dropping, logging_runs = logging,
        }));
        return 0;
    }

    private sealed class Factory(StorageOptions storage) : IDbContextFactory<DashboardDb>
    {
        public DashboardDb CreateDbContext() => DataServices.Open(storage);
    }
}
