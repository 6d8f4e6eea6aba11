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
            { "name": "cost", "dataset": { "name": "fashion_mnist" },
              "model": { "name": "mlp", "layer_size": [256, 128, 100] },
              "optimizer": { "name": "sgd_momentum_wdecay", "lr": 0.01, "regularization": 0.001 },
              "batch_size": 128, "max_epochs": 3, "log_every": 1 }
            """);
        var options = new TrainingOptions();
        Torch.Threads = 1;
        var data = DatasetLoader.Load(spec.Dataset!, spec.Seed, options);

        using var store = await CostStore.CreateAsync(dataDir);
        var (dbs, events, writer, runId, attemptId) = (store.Dbs, store.Events, store.Writer, store.RunId, store.AttemptId);

        // Three measures of a round: its samples per second (wall clock, which this machine's neighbours move by
        // ±10%), the CPU time of the thread that trains (one training thread, as a GPU host's trainer thread: what
        // logging adds to a step there), and the CPU time of the whole process (the writer's thread included).
        var process = System.Diagnostics.Process.GetCurrentProcess();
        double ProcessCpuSeconds()
        {
            process.Refresh();
            return process.TotalProcessorTime.TotalSeconds;
        }
        async Task<(double Rate, double ThreadCpu, double ProcessCpu)> Round(ITrainingSink sink, RunSink? logged)
        {
            var cpu0 = ProcessCpuSeconds();
            var thread0 = ThreadCpuSeconds();
            var result = Trainer.Train(spec, data, sink, CancellationToken.None);
            var thread = ThreadCpuSeconds() - thread0;
            if (logged is not null)
            {
                // Until the last point is stored, so that the whole of the writer's work counts in this round.
                await logged.Drain();
                await writer.FlushAsync();
            }
            return (result.Final["samples_per_s"], thread, ProcessCpuSeconds() - cpu0);
        }

        await Round(new Dropping(), null);  // warm-up: JIT, first allocations
        var dropping = new List<(double Rate, double ThreadCpu, double ProcessCpu)>();
        var logging = new List<(double Rate, double ThreadCpu, double ProcessCpu)>();
        for (int round = 1; round <= rounds; round++)
        {
            dropping.Add(await Round(new Dropping(), null));
            // Each logging round a fresh history: the trainer counts steps from 1 again.
            await using (var db = dbs.CreateDbContext())
                await db.MetricPoints.Where(p => p.RunId == runId).ExecuteDeleteAsync();
            var sink = new RunSink(runId, attemptId, dbs, writer, events, NullLogger.Instance);
            logging.Add(await Round(sink, sink));
            Console.Error.WriteLine($"  round {round}/{rounds}: dropping {dropping[^1].Rate:F0}, logging {logging[^1].Rate:F0} samples/s; " +
                $"training thread {dropping[^1].ThreadCpu:F2} / {logging[^1].ThreadCpu:F2} s CPU");
        }
        // The same cost measured apart, where the noise of whole rounds cannot hide it: the sink's work for one
        // step's 7 points on the training thread, timed over many steps, and the writer's CPU time for storing them.
        string[] keys = ["loss", "lr", "batch_size", "updates", "samples", "flops", "elapsed"];
        var step = new MetricSample[keys.Length];
        const int Steps = 50_000;  // 350,000 points: within the writer's buffer, so the sink never waits for room
        var enqueue = new List<double>();
        var writerCpu = new List<double>();
        for (int repeat = 0; repeat < 3; repeat++)
        {
            await using (var db = dbs.CreateDbContext())
                await db.MetricPoints.Where(p => p.RunId == runId).ExecuteDeleteAsync();
            var sink = new RunSink(runId, attemptId, dbs, writer, events, NullLogger.Instance);
            var cpu0 = ProcessCpuSeconds();
            var thread0 = ThreadCpuSeconds();
            var clock = Stopwatch.StartNew();
            for (int i = 1; i <= Steps; i++)
            {
                var now = DateTime.UtcNow;
                for (int k = 0; k < keys.Length; k++) step[k] = new MetricSample(keys[k], i, 0.5 + k + 1e-6 * i, now);
                sink.Log(step);
            }
            enqueue.Add(clock.Elapsed.TotalSeconds / Steps);
            var thread = ThreadCpuSeconds() - thread0;
            await writer.FlushAsync();
            writerCpu.Add((ProcessCpuSeconds() - cpu0 - thread) / Steps);
        }
        await writer.StopAsync(CancellationToken.None);
        Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new
        {
            threads = Torch.Threads,
            dropping_runs = dropping.Select(d => d.Rate), logging_runs = logging.Select(l => l.Rate),
            dropping_thread_cpu = dropping.Select(d => d.ThreadCpu), logging_thread_cpu = logging.Select(l => l.ThreadCpu),
            dropping_process_cpu = dropping.Select(d => d.ProcessCpu), logging_process_cpu = logging.Select(l => l.ProcessCpu),
            batch_size = spec.BatchSize, sink_seconds_per_step = enqueue, writer_cpu_seconds_per_step = writerCpu,
        }));
        return 0;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out Timespec time);

    private struct Timespec { public long Seconds; public long Nanoseconds; }

    private static double ThreadCpuSeconds()
    {
        const int ThreadCpuTimeId = 3;  // CLOCK_THREAD_CPUTIME_ID
        if (ClockGetTime(ThreadCpuTimeId, out var t) != 0) throw new InvalidOperationException("clock_gettime failed");
        return t.Seconds + t.Nanoseconds / 1e9;
    }
}
