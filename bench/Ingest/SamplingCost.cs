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
using Microsoft.Extensions.Options;

/// <summary>
/// What the host's system sampler costs a training step: the same training through the worker's sink and metric
/// writer, with the sampler tracking the run (at the default 5 s and at 0.1 s, fifty times as often) and without it,
/// alternating rounds; and one sample timed apart, over many, as a share of the interval between samples.
/// </summary>
public static class SamplingCost
{
    public static async Task<int> RunAsync(string dataDir, int rounds)
    {
        var spec = SpecJson.Parse("""
            { "name": "cost", "dataset": { "name": "fashion_mnist" },
              "model": { "name": "mlp", "layer_size": [256, 128, 100] },
              "optimizer": { "name": "sgd_momentum_wdecay", "lr": 0.01, "regularization": 0.001 },
              "batch_size": 128, "max_epochs": 2, "log_every": 1 }
            """);
        Torch.Threads = 1;
        var data = DatasetLoader.Load(spec.Dataset!, spec.Seed, new TrainingOptions());

        using var store = await CostStore.CreateAsync(dataDir);
        var (dbs, events, writer, runId, attemptId) = (store.Dbs, store.Events, store.Writer, store.RunId, store.AttemptId);

        SystemSampler Sampler(double seconds) => new(Options.Create(new WorkerOptions { Devices = ["cpu"], SystemMetricsSeconds = seconds }),
            writer, NullLogger<SystemSampler>.Instance);

        long steps = 0;
        // Seconds per training step of one round, the run's points stored; with a sampler at `seconds`, or none.
        async Task<double> Round(double? seconds)
        {
            await using (var db = dbs.CreateDbContext())
                await db.MetricPoints.Where(p => p.RunId == runId).ExecuteDeleteAsync();
            var sink = new RunSink(runId, attemptId, dbs, writer, events, NullLogger.Instance);
            using var sampler = seconds is { } s ? Sampler(s) : null;
            if (sampler is not null) await sampler.StartAsync(CancellationToken.None);
            using (sampler?.Track(runId, [], () => sink.LastStep))
            {
                var result = Trainer.Train(spec, data, sink, CancellationToken.None);
                steps = result.Steps;
                // The training thread's own time a step (the trainer's step clock), as logging-cost reports it.
                double perStep = spec.BatchSize / result.Final["samples_per_s"];
                if (sampler is not null) await sampler.StopAsync(CancellationToken.None);
                await sink.Drain();
                await writer.FlushAsync();
                return perStep;
            }
        }

        await Round(null);  // warm-up: JIT, first allocations
        var off = new List<double>();
        var every5 = new List<double>();
        var every01 = new List<double>();
        for (int round = 1; round <= rounds; round++)
        {
            off.Add(await Round(null));
            every5.Add(await Round(5));
            every01.Add(await Round(0.1));
            Console.Error.WriteLine($"  round {round}/{rounds}: {1e6 * off[^1]:F0} µs a step without sampling, " +
                $"{1e6 * every5[^1]:F0} with it every 5 s, {1e6 * every01[^1]:F0} every 0.1 s");
        }

        // One sample timed apart: the process's CPU time and the wall time it takes, with a run tracked whose step moves.
        var apart = Sampler(5);
        long step = 0;
        await using (var db = dbs.CreateDbContext())
            await db.MetricPoints.Where(p => p.RunId == runId).ExecuteDeleteAsync();
        const int Samples = 2000;
        double cpu0 = Environment.CpuUsage.TotalTime.TotalSeconds;
        var wall = Stopwatch.StartNew();
        using (apart.Track(runId, [], () => step))
            for (int i = 0; i < Samples; i++)
            {
                step++;
                await apart.SampleAsync(CancellationToken.None);
            }
        double sampleWall = wall.Elapsed.TotalSeconds / Samples;
        double sampleCpu = (Environment.CpuUsage.TotalTime.TotalSeconds - cpu0) / Samples;
        await writer.FlushAsync();
        await writer.StopAsync(CancellationToken.None);
        Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new
        {
            steps_per_round = steps,
            off_seconds_per_step = off, every_5s_seconds_per_step = every5, every_0_1s_seconds_per_step = every01,
            sample_wall_seconds = sampleWall, sample_cpu_seconds = sampleCpu,
        }));
        return 0;
    }
}
