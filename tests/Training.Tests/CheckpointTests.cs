using Dashboard.Training.Datasets;
using Dashboard.Training.Engine;
using Dashboard.Training.Specs;

namespace Dashboard.Training.Tests;

public sealed class CheckpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dn-ckpt-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class Recorder : ITrainingSink
    {
        public List<MetricSample> Samples { get; } = [];
        public List<string> Messages { get; } = [];
        public void Log(IReadOnlyList<MetricSample> samples) => Samples.AddRange(samples);
        public void Message(string text) => Messages.Add(text);
        public (long Step, double Value)[] Series(string key) => [.. Samples.Where(s => s.Key == key).Select(s => (s.Step, s.Value))];
    }

    // Everything that carries state across epochs at once: momentum and Adam moments (two optimizer groups),
    // batch norm statistics, dropout draws, a per-step schedule with warm-up, a growing batch size and a stored minimum.
    private static readonly ExperimentSpec Spec = SpecJson.Parse("""
        { "name": "resume",
          "dataset": { "name": "hyperspheres", "n": 1200, "p": 24, "d": 4, "classes": 3, "noise": 0.3 },
          "model": { "name": "mlp", "layer_size": [32, 32], "batch_norm": true, "dropout": 0.2, "skip_steps": 1 },
          "optimizer": { "name": "sgd_momentum_wdecay", "lr": 0.05, "regularization": 0.0005,
                         "groups": [ { "params": "head", "name": "adam", "lr": 0.002 } ] },
          "lr_schedule": { "name": "cosine_warm_restarts", "t_0": 1, "t_mult": 2, "warmup_epochs": 1, "per_step": true },
          "batch_size": 40, "batch_schedule": { "name": "exponential", "growth": 1.5, "max": 100 },
          "loss_func": { "name": "softmax_loss", "distance": true, "factor": 0.05, "width": 2, "capture_epochs": [1] },
          "checkpoint": { "every": 1, "keep_last": 10, "keep_best": "val_loss" },
          "max_epochs": 4, "seed": 11 }
        """);

    [Fact]
    public void Resuming_from_a_checkpoint_reproduces_the_uninterrupted_run_exactly()
    {
        var data = DatasetLoader.Load(Spec.Dataset!, Spec.Seed, new TrainingOptions());
        var whole = new Recorder();
        var full = Trainer.Train(Spec, data, whole, CancellationToken.None, new TrainContext { CheckpointDir = Path.Combine(_dir, "a") });
        Assert.Equal(TrainOutcome.Completed, full.Outcome);

        var checkpoint = Path.Combine(_dir, "a", "epoch-0002.pt");
        Assert.True(File.Exists(checkpoint));
        long resumedAt = Checkpoints.StateOf(checkpoint).Step;
        var resumed = new Recorder();
        var rest = Trainer.Train(Spec, data, resumed, CancellationToken.None,
            new TrainContext { CheckpointDir = Path.Combine(_dir, "b"), ResumeFrom = checkpoint });

        Assert.Equal(TrainOutcome.Completed, rest.Outcome);
        Assert.Contains(resumed.Messages, m => m.Contains("after epoch 2"));
        foreach (var key in new[] { "loss", "lr", "batch_size", "updates", "samples", "val_loss", "val_accuracy", "distance" })
        {
            var expected = whole.Series(key).Where(p => p.Step > resumedAt).ToArray();
            Assert.NotEmpty(expected);
            Assert.Equal(expected, resumed.Series(key));
        }
        Assert.Equal(full.Steps, rest.Steps);
        Assert.Equal(full.Final["val_loss"], rest.Final["val_loss"]);
    }

    [Fact]
    public void Checkpoints_are_written_every_n_epochs_and_the_best_is_kept()
    {
        var spec = Spec with { Checkpoint = new CheckpointSpec { Every = 1, KeepLast = 2, KeepBest = "val_accuracy" } };
        var data = DatasetLoader.Load(spec.Dataset!, spec.Seed, new TrainingOptions());
        var rec = new Recorder();
        Trainer.Train(spec, data, rec, CancellationToken.None, new TrainContext { CheckpointDir = _dir });

        var periodic = Directory.GetFiles(_dir, "epoch-*.pt").Select(f => Path.GetFileName(f)!).Order().ToArray();
        Assert.Equal(["epoch-0003.pt", "epoch-0004.pt"], periodic);
        Assert.Equal(Path.Combine(_dir, "epoch-0004.pt"), Checkpoints.Latest(_dir));
        var best = Checkpoints.StateOf(Path.Combine(_dir, "best.pt"));
        var accuracies = rec.Series("val_accuracy");
        Assert.Equal(accuracies.Max(a => a.Value), best.BestValue);
        Assert.Equal(accuracies.First(a => a.Value == accuracies.Max(b => b.Value)).Step, best.Step);
        Assert.True(File.Exists(Path.Combine(_dir, "minimum-epoch-0001.f32")));
    }

    [Fact]
    public void Minima_come_from_another_runs_checkpoint_and_several_can_be_merged_into_their_mean()
    {
        var plain = Spec with { LossFunc = new LossSpec(), Checkpoint = new CheckpointSpec(), MaxEpochs = 2 };
        var data = DatasetLoader.Load(plain.Dataset!, plain.Seed, new TrainingOptions());
        Trainer.Train(plain, data, new Recorder(), CancellationToken.None, new TrainContext { CheckpointDir = Path.Combine(_dir, "first") });
        var first = Checkpoints.Latest(Path.Combine(_dir, "first"))!;

        // A second run keeps away from the first run's minimum and from its own after epoch 1, merged into one point.
        var second = plain with
        {
            Seed = 12,
            MaxEpochs = 3,
            LossFunc = new LossSpec { Distance = true, Factor = 0.1, Width = 3, MinimaFrom = ["first-run"], CaptureEpochs = [1], Merge = true },
        };
        var rec = new Recorder();
        var dir = Path.Combine(_dir, "second");
        Trainer.Train(second, data, rec, CancellationToken.None, new TrainContext
        {
            CheckpointDir = dir,
            ResolveMinimum = reference => reference == "first-run" ? new LoadedMinimum(reference, first) : throw new ArgumentException(reference),
        });

        float[] Read(string name)
        {
            var bytes = File.ReadAllBytes(Path.Combine(dir, name));
            var values = new float[bytes.Length / 4];
            Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
            return values;
        }
        var fromFirst = Read("minimum-from-01.f32");
        var own = Read("minimum-epoch-0001.f32");
        // The stored minimum is exactly the first run's final weights.
        var graph = Models.ModelFactory.Build(plain.Model!, [24], 3);
        using (var check = Native.NativeModel.Create(graph, "cpu", 0))
        {
            check.LoadWeights(first);
            Assert.Equal(check.CopyParameters(), fromFirst);
        }
        // After epoch 3, the distance is to the mean of the two minima.
        using var final = Native.NativeModel.Create(graph, "cpu", 0);
        final.LoadWeights(Checkpoints.Latest(dir)!);
        var weights = final.CopyParameters();
        double expected = Math.Sqrt(weights.Select((w, i) => Math.Pow(w - (fromFirst[i] + (double)own[i]) / 2, 2)).Sum());
        var distance = rec.Series("distance");
        Assert.Equal(3, distance.Length);
        Assert.Equal(expected, distance[^1].Value, 3);
    }

    [Fact]
    public void The_latest_checkpoint_is_found_by_epoch_number_and_only_with_its_json()
    {
        foreach (var name in new[] { "epoch-9999", "epoch-10000", "epoch-0002" })
        {
            File.WriteAllText(Path.Combine(_dir, name + ".pt"), "");
            File.WriteAllText(Path.Combine(_dir, name + ".json"), "{}");
        }
        Assert.Equal(Path.Combine(_dir, "epoch-10000.pt"), Checkpoints.Latest(_dir));
        // A .pt whose .json is missing (the host died in between) is not a checkpoint to resume from.
        File.WriteAllText(Path.Combine(_dir, "epoch-10001.pt"), "");
        Assert.Equal(Path.Combine(_dir, "epoch-10000.pt"), Checkpoints.Latest(_dir));
    }

    [Fact]
    public void A_lone_last_sample_joins_the_batch_before_it_so_batch_norm_never_sees_a_batch_of_one()
    {
        // 960 training samples in batches of 7: 137 batches of 7 and one of 1, which batch norm cannot take.
        var spec = Spec with { LossFunc = new LossSpec(), BatchSize = 7, BatchSchedule = new BatchScheduleSpec(), MaxEpochs = 1 };
        var data = DatasetLoader.Load(spec.Dataset!, spec.Seed, new TrainingOptions());
        Assert.Equal(960, data.Train.Count);
        var rec = new Recorder();
        var result = Trainer.Train(spec, data, rec, CancellationToken.None);

        Assert.Equal(TrainOutcome.Completed, result.Outcome);
        Assert.Equal(137, result.Steps);
        Assert.Equal(960, rec.Series("samples")[^1].Value);
        Assert.Equal(8, rec.Series("batch_size")[^1].Value);
    }

    [Fact]
    public void A_missing_checkpoint_is_a_clear_error()
    {
        var data = DatasetLoader.Load(Spec.Dataset!, Spec.Seed, new TrainingOptions());
        var e = Assert.Throws<FileNotFoundException>(() => Trainer.Train(Spec, data, new Recorder(), CancellationToken.None,
            new TrainContext { ResumeFrom = Path.Combine(_dir, "nope.pt") }));
        Assert.Contains("nope.pt", e.Message);
    }
}
