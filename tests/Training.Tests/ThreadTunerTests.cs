using System.Text.Json;
using Dashboard.Training.Datasets;
using Dashboard.Training.Engine;
using Dashboard.Training.Native;
using Dashboard.Training.Specs;

namespace Dashboard.Training.Tests;

public sealed class ThreadTunerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("threads-").FullName;
    private string Cache => Path.Combine(_dir, "cache", "threads.json");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class Recorder : ITrainingSink
    {
        public List<string> Messages { get; } = [];
        public List<double> Loss { get; } = [];
        /// <summary>libtorch's thread count as the training thread sees it, read during the run.</summary>
        public int ThreadsSeen { get; private set; }
        public void Log(IReadOnlyList<MetricSample> samples)
        {
            ThreadsSeen = Torch.Threads;
            Loss.AddRange(samples.Where(s => s.Key == "loss").Select(s => s.Value));
        }
        public void Message(string text) => Messages.Add(text);
        public string ThreadLine => Assert.Single(Messages, m => m.StartsWith("threads: "));
    }

    private static ExperimentSpec Spec(int batch = 64) => SpecJson.Parse($$"""
        { "name": "threads",
          "dataset": { "name": "hyperspheres", "n": 1200, "p": 64, "d": 8, "classes": 3, "noise": 0.1 },
          "model": { "name": "mlp", "layer_size": [128, 64], "act_funcs": ["relu", "relu"] },
          "optimizer": { "name": "sgd_momentum_wdecay", "lr": 0.05, "regularization": 0.0001 },
          "batch_size": {{batch}}, "max_epochs": 2, "seed": 3 }
        """);

    /// <summary>Trains on a thread of its own, as the worker does.</summary>
    private static (TrainResult, Recorder) Train(ExperimentSpec spec, ThreadPolicy policy)
    {
        var data = DatasetLoader.Load(spec.Dataset!, spec.Seed, new TrainingOptions());
        var recorder = new Recorder();
        TrainResult? result = null;
        var thread = new Thread(() => result = Trainer.Train(spec, data, recorder, CancellationToken.None, new TrainContext { Threads = policy }));
        thread.Start();
        thread.Join();
        return (result!, recorder);
    }

    [Fact]
    public void A_measured_count_is_the_fastest_one_measured_and_the_next_run_of_the_model_takes_it_from_the_host_cache()
    {
        var policy = new ThreadPolicy(Fixed: 0, Max: 2, Cache);

        var (first, rec1) = Train(Spec(), policy);

        Assert.Equal(TrainOutcome.Completed, first.Outcome);
        Assert.Matches(@"^threads: [12], measured for this model on this host in [0-9.]+ s \(1 → [0-9,]+, 2 → [0-9,]+ samples/s\)$", rec1.ThreadLine);
        var rates = System.Text.RegularExpressions.Regex.Matches(rec1.ThreadLine, @"(\d) → ([0-9,]+)")
            .ToDictionary(m => int.Parse(m.Groups[1].Value), m => double.Parse(m.Groups[2].Value.Replace(",", "")));
        int chosen = (int)first.Final["threads"];
        Assert.Equal(rates.MaxBy(kv => kv.Value).Key, chosen);
        Assert.Equal(chosen, rec1.ThreadsSeen);

        var (second, rec2) = Train(Spec(), policy);

        Assert.StartsWith($"threads: {chosen}, measured for this model on this host earlier (", rec2.ThreadLine);
        Assert.Contains($"delete {Cache} to measure again", rec2.ThreadLine);
        Assert.Equal(chosen, rec2.ThreadsSeen);
        // The probe trained a copy before the run's model was built: the run is the same with and without it.
        Assert.Equal(rec1.Loss, rec2.Loss);
        using var file = JsonDocument.Parse(File.ReadAllText(Cache));
        var entry = Assert.Single(file.RootElement.EnumerateObject());
        Assert.StartsWith("mlp ", entry.Name);
        Assert.Contains("batch 64, up to 2 threads", entry.Name);
        Assert.Equal(chosen, entry.Value.GetProperty("Threads").GetInt32());
    }

    [Fact]
    public void Another_batch_size_is_measured_again_and_kept_beside_the_first()
    {
        var policy = new ThreadPolicy(0, 2, Cache);
        Train(Spec(batch: 64), policy);

        var (_, rec) = Train(Spec(batch: 32), policy);

        Assert.Contains("measured for this model on this host in", rec.ThreadLine);
        using var file = JsonDocument.Parse(File.ReadAllText(Cache));
        Assert.Equal(["batch 32", "batch 64"], file.RootElement.EnumerateObject()
            .Select(p => System.Text.RegularExpressions.Regex.Match(p.Name, @"batch \d+").Value).Order());
    }

    [Fact]
    public void A_damaged_cache_file_is_measured_again_and_written_anew()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Cache)!);
        File.WriteAllText(Cache, "{ not json");

        var (result, rec) = Train(Spec(), new ThreadPolicy(0, 2, Cache));

        Assert.Equal(TrainOutcome.Completed, result.Outcome);
        Assert.Contains("measured for this model on this host in", rec.ThreadLine);
        using var file = JsonDocument.Parse(File.ReadAllText(Cache));
        Assert.Single(file.RootElement.EnumerateObject());
    }

    [Fact]
    public void A_measurement_older_than_a_week_is_taken_again()
    {
        var policy = new ThreadPolicy(0, 2, Cache);
        Train(Spec(), policy);
        var stale = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Cache))!.AsObject();
        foreach (var (_, entry) in stale) entry!["Measured"] = DateTime.UtcNow - ThreadTuner.CacheLifetime - TimeSpan.FromHours(1);
        File.WriteAllText(Cache, stale.ToJsonString());

        var (_, rec) = Train(Spec(), policy);

        Assert.Contains("measured for this model on this host in", rec.ThreadLine);
        using var file = JsonDocument.Parse(File.ReadAllText(Cache));
        Assert.True(DateTime.UtcNow - file.RootElement.EnumerateObject().Single().Value.GetProperty("Measured").GetDateTime() < TimeSpan.FromMinutes(5));
    }

    [Fact]
    public void Training_Threads_is_applied_on_the_training_thread_without_measuring()
    {
        var (result, rec) = Train(Spec(), new ThreadPolicy(Fixed: 3, Max: 2, Cache));

        Assert.Equal("threads: 3 (Training:Threads)", rec.ThreadLine);
        Assert.Equal(3, rec.ThreadsSeen);
        Assert.Equal(3, result.Final["threads"]);
        Assert.False(File.Exists(Cache));
    }

    [Fact]
    public void Slots_share_the_cores_out_and_a_run_with_one_core_is_not_measured()
    {
        var options = new TrainingOptions { ThreadCache = Cache };
        Assert.Equal(Environment.ProcessorCount, options.ThreadPolicy(slots: 1).Max);
        Assert.Equal(1, options.ThreadPolicy(slots: Environment.ProcessorCount).Max);
        Assert.Equal(Math.Max(1, Environment.ProcessorCount / 2), options.ThreadPolicy(slots: 2).Max);

        var (_, rec) = Train(Spec(), options.ThreadPolicy(slots: Environment.ProcessorCount));

        int cores = Environment.ProcessorCount;
        Assert.Equal($"threads: 1 ({cores} core{(cores == 1 ? "" : "s")}, {cores} run{(cores == 1 ? "" : "s")} at once: one core a run)", rec.ThreadLine);
        Assert.Equal(1, rec.ThreadsSeen);
        Assert.False(File.Exists(Cache));
    }

    [Fact]
    public void Candidates_double_up_to_the_cores_a_run_may_take()
    {
        Assert.Equal([1], ThreadTuner.Candidates(1));
        Assert.Equal([1, 2], ThreadTuner.Candidates(2));
        Assert.Equal([1, 2, 3], ThreadTuner.Candidates(3));
        Assert.Equal([1, 2, 4, 8, 16], ThreadTuner.Candidates(16));
        Assert.Equal([1, 2, 4, 6], ThreadTuner.Candidates(6));
    }

    [Fact]
    public void The_default_cache_is_in_the_users_cache_folder()
    {
        var policy = new TrainingOptions().ThreadPolicy(1);
        Assert.EndsWith(Path.Combine("dashboard", "threads.json"), policy.CacheFile);
        Assert.Equal(Cache, new TrainingOptions { ThreadCache = Cache }.ThreadPolicy(1).CacheFile);
    }
}
