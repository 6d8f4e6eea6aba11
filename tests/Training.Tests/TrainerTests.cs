using Dashboard.Training.Datasets;
using Dashboard.Training.Engine;
using Dashboard.Training.Specs;

namespace Dashboard.Training.Tests;

public class TrainerTests
{
    private sealed class Recorder : ITrainingSink
    {
        public List<MetricSample> Samples { get; } = [];
        public List<int> Epochs { get; } = [];
        public void Log(IReadOnlyList<MetricSample> samples) { lock (Samples) Samples.AddRange(samples); }
        public void EpochEnded(int epoch, int maxEpochs) => Epochs.Add(epoch);
        public double[] Values(string key) => Samples.Where(s => s.Key == key).OrderBy(s => s.Step).Select(s => s.Value).ToArray();
    }

    private static ExperimentSpec Spec(double lr = 0.05, int epochs = 4, long seed = 0) => SpecJson.Parse($$"""
        { "name": "hps",
          "dataset": { "name": "hyperspheres", "n": 1000, "p": 32, "d": 4, "classes": 3, "noise": 0.1 },
          "model": { "name": "mlp", "layer_size": [32, 16], "act_funcs": ["relu", "tanh"] },
          "optimizer": { "name": "sgd_momentum_wdecay", "lr": {{lr}}, "regularization": 0.0001 },
          "batch_size": 50, "max_epochs": {{epochs}}, "seed": {{seed}} }
        """);

    private static (TrainResult, Recorder) Train(ExperimentSpec spec)
    {
        var data = DatasetLoader.Load(spec.Dataset!, spec.Seed, new TrainingOptions());
        var recorder = new Recorder();
        return (Trainer.Train(spec, data, recorder, CancellationToken.None), recorder);
    }

    [Fact]
    public void Hyperspheres_train_with_a_finite_falling_loss()
    {
        var (result, rec) = Train(Spec());

        Assert.Equal(TrainOutcome.Completed, result.Outcome);
        Assert.Equal([1, 2, 3, 4], rec.Epochs);
        var loss = rec.Values("loss");
        Assert.Equal(4 * 800 / 50, loss.Length);
        Assert.All(loss, v => Assert.True(double.IsFinite(v)));
        Assert.True(loss.TakeLast(10).Average() < 0.5 * loss.Take(10).Average(), $"loss should fall: {loss.Take(10).Average()} -> {loss.TakeLast(10).Average()}");
        var valLoss = rec.Values("val_loss");
        Assert.Equal(4, valLoss.Length);
        Assert.True(valLoss[^1] < valLoss[0]);
        Assert.True(rec.Values("val_accuracy")[^1] > 0.6);
        Assert.Equal(Enumerable.Range(1, loss.Length).Select(i => (double)i), rec.Values("updates"));
        Assert.Equal(50 * loss.Length, rec.Values("samples")[^1]);
        Assert.All(rec.Values("lr"), v => Assert.Equal(0.05, v));
        Assert.Equal(4, rec.Values("epoch_time").Length);
        var elapsed = rec.Values("elapsed");
        Assert.True(elapsed.Zip(elapsed.Skip(1)).All(p => p.Second >= p.First));
    }

    [Fact]
    public void The_same_spec_and_seed_give_the_same_loss_curve_and_another_seed_does_not()
    {
        var a = Train(Spec(epochs: 2)).Item2.Values("loss");
        var b = Train(Spec(epochs: 2)).Item2.Values("loss");
        var c = Train(Spec(epochs: 2, seed: 5)).Item2.Values("loss");
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Bf16_rounds_the_forward_passes_and_still_learns_as_fp32_does()
    {
        var (fp32Result, fp32) = Train(Spec(epochs: 3));
        var (bf16Result, bf16) = Train(Spec(epochs: 3) with { Precision = "bf16" });

        Assert.Equal(TrainOutcome.Completed, bf16Result.Outcome);
        var a = fp32.Values("loss");
        var b = bf16.Values("loss");
        Assert.NotEqual(a, b);   // bfloat16 keeps 8 bits of mantissa: the losses differ from the first step
        Assert.InRange(b[0], a[0] * 0.97, a[0] * 1.03);   // same weights, only the rounding differs
        Assert.True(b.TakeLast(10).Average() < 0.5 * b.Take(10).Average(), $"loss should fall: {b.Take(10).Average()} -> {b.TakeLast(10).Average()}");
        Assert.True(double.IsFinite(bf16Result.Final["val_loss"]));
        Assert.InRange(bf16Result.Final["val_accuracy"], fp32Result.Final["val_accuracy"] - 0.05, 1.0);
    }

    [Fact]
    public async Task Runs_with_dropout_reproduce_their_curve_even_while_other_runs_train_beside_them()
    {
        var spec = Spec(epochs: 2) with { Model = new ModelSpec { Name = "mlp", LayerSize = [32, 16], Dropout = 0.3 } };
        var alone = Train(spec).Item2.Values("loss");

        // Each run draws dropout masks from its own generator, so neighbours cannot shift its random stream.
        var together = Enumerable.Range(0, 3).Select(_ => Task.Run(() => Train(spec).Item2.Values("loss"))).ToArray();
        var curves = await Task.WhenAll(together);

        Assert.All(curves, curve => Assert.Equal(alone, curve));
        Assert.NotEqual(alone, Train(spec with { Model = spec.Model with { Dropout = 0 } }).Item2.Values("loss"));
    }

    [Fact]
    public void A_diverging_run_stops_at_the_step_where_the_loss_became_non_finite()
    {
        var (result, rec) = Train(Spec(lr: 1e6, epochs: 50));

        Assert.Equal(TrainOutcome.Diverged, result.Outcome);
        Assert.NotNull(result.DivergedAtStep);
        // Stopped at once: nothing was trained past the bad step, and every logged loss is finite.
        Assert.Equal(result.DivergedAtStep, result.Steps);
        var loss = rec.Samples.Where(s => s.Key == "loss").ToList();
        Assert.All(loss, s => Assert.True(double.IsFinite(s.Value)));
        Assert.All(loss, s => Assert.True(s.Step < result.DivergedAtStep));
        Assert.True(result.Epochs < 50);
    }

    [Fact]
    public void Cancellation_ends_the_run_between_steps()
    {
        using var cts = new CancellationTokenSource();
        var spec = Spec(epochs: 1000);
        var data = DatasetLoader.Load(spec.Dataset!, spec.Seed, new TrainingOptions());
        var rec = new CancelAfter(cts, steps: 5);
        var result = Trainer.Train(spec, data, rec, cts.Token);
        Assert.Equal(TrainOutcome.Cancelled, result.Outcome);
        Assert.Equal(5, result.Steps);
    }

    private sealed class CancelAfter(CancellationTokenSource cts, int steps) : ITrainingSink
    {
        public void Log(IReadOnlyList<MetricSample> samples)
        {
            if (samples.Any(s => s.Key == "updates" && s.Value >= steps)) cts.Cancel();
        }
    }
}
