using Dashboard.Training.Datasets;
using Dashboard.Training.Models;
using Dashboard.Training.Native;

namespace Dashboard.Training.Tests;

public class NativeBindingTests
{
    private static DeviceDataset Data(int n, int features, int classes, int seed = 1)
    {
        var rng = new Random(seed);
        var x = Enumerable.Range(0, n * features).Select(_ => (float)rng.NextDouble()).ToArray();
        var y = Enumerable.Range(0, n).Select(i => (long)(i % classes)).ToArray();
        return DeviceDataset.Create(x, [n, features], y, "cpu");
    }

    [Fact]
    public void A_training_step_changes_the_weights()
    {
        using var data = Data(64, 10, 3);
        using var model = NativeModel.Create(Mlp.Build(10, [16], [Activation.Relu], 3), "cpu", seed: 7);
        using var optimizer = NativeOptimizer.Create(model, OptimizerKind.Sgd, lr: 0.1);
        var before = model.CopyParameters();
        Assert.Equal(10 * 16 + 16 + 16 * 3 + 3, before.Length);

        data.Shuffle(1);
        model.TrainStep(optimizer, data, 0, 32);
        var after = model.CopyParameters();

        Assert.Equal(before.Length, after.Length);
        Assert.True(before.Zip(after).Count(p => p.First != p.Second) > before.Length / 2, "most weights should move after one SGD step");
        var stats = model.ReadStats();
        Assert.Equal(1, stats.Steps);
        Assert.Equal(32, stats.Samples);
        Assert.True(double.IsFinite(stats.MeanLoss) && stats.MeanLoss > 0);
        Assert.Null(stats.FirstNonFiniteStep);
    }

    [Fact]
    public void A_shape_mismatch_is_an_exception_with_the_native_message_and_the_process_lives_on()
    {
        using var data = Data(32, 10, 3);
        // The model expects 12 features, the data has 10.
        using var model = NativeModel.Create(Mlp.Build(12, [8], [Activation.Tanh], 3), "cpu", seed: 1);
        using var optimizer = NativeOptimizer.Create(model, OptimizerKind.Adam, lr: 1e-3);

        var e = Assert.Throws<NativeException>(() => model.TrainStep(optimizer, data, 0, 16));
        Assert.StartsWith("train_step:", e.Message);
        Assert.Contains("shapes cannot be multiplied", e.Message);
        Assert.Contains("10", e.Message);
        Assert.Contains("12", e.Message);

        // The host is fine: the next valid call works.
        using var good = NativeModel.Create(Mlp.Build(10, [8], [Activation.Tanh], 3), "cpu", seed: 1);
        using var goodOpt = NativeOptimizer.Create(good, OptimizerKind.Adam, lr: 1e-3);
        good.TrainStep(goodOpt, data, 0, 16);
        Assert.Equal(1, good.ReadStats().Steps);
    }

    [Fact]
    public void Bad_arguments_are_refused_with_a_reason()
    {
        using var data = Data(16, 4, 2);
        using var model = NativeModel.Create(Mlp.Build(4, [4], [Activation.Relu], 2), "cpu", seed: 1);
        using var optimizer = NativeOptimizer.Create(model, OptimizerKind.Sgd, lr: 0.1);

        var outside = Assert.Throws<NativeException>(() => model.TrainStep(optimizer, data, 10, 10));
        Assert.Contains("outside the dataset of 16", outside.Message);

        var device = Assert.Throws<NativeException>(() => NativeModel.Create(Mlp.Build(4, [4], [Activation.Relu], 2), "cuda:7", seed: 1));
        Assert.StartsWith("model_create:", device.Message);

        var shape = Assert.Throws<ArgumentException>(() => DeviceDataset.Create(new float[10], [3, 4], new long[3], "cpu"));
        Assert.Contains("holds 12 values but 10 were given", shape.Message);

        var tf32 = Assert.Throws<NativeException>(() => model.SetPrecision(Precision.Tf32, cudnnBenchmark: false));
        Assert.Contains("tf32 and cuDNN autotuning are CUDA settings; the model is on the CPU", tf32.Message);
        Assert.Throws<NativeException>(() => model.SetPrecision(Precision.Fp32, cudnnBenchmark: true));
        Assert.Contains("unknown precision 7", Assert.Throws<NativeException>(() => model.SetPrecision((Precision)7, false)).Message);
    }

    [Fact]
    public void Evaluation_counts_every_sample_and_leaves_weights_alone()
    {
        using var data = Data(50, 6, 2);
        using var model = NativeModel.Create(Mlp.Build(6, [5], [Activation.Gelu], 2), "cpu", seed: 3);
        var before = model.CopyParameters();
        var (loss, accuracy) = model.Evaluate(data, batchSize: 16);
        Assert.True(double.IsFinite(loss) && loss > 0);
        Assert.InRange(accuracy, 0, 1);
        Assert.Equal(before, model.CopyParameters());
    }
}
