using Dashboard.Training.Models;
using Dashboard.Training.Native;

namespace Dashboard.Training.Tests;

public class DataParallelTests
{
    /// <summary>
    /// Data parallel training splits each batch over replicas and sums their gradients; it must follow the same path
    /// as one device. Two CPU replicas stand in for two GPUs here (the code path is the same).
    /// </summary>
    [Fact]
    public void Two_replicas_train_like_one_device()
    {
        var rng = new Random(1);
        var x = Enumerable.Range(0, 64 * 10).Select(_ => (float)rng.NextDouble()).ToArray();
        var y = Enumerable.Range(0, 64).Select(i => (long)(i % 4)).ToArray();
        var graph = Mlp.Build(10, [16, 16], [Activation.Relu, Activation.Tanh], 4);

        double[] Run(string devices, out float[] parameters)
        {
            using var model = NativeModel.Create(graph, devices, seed: 3);
            using var opt = NativeOptimizer.Create(model, OptimizerKind.Sgd, 0.2, momentum: 0.9);
            using var data = DeviceDataset.Create(x, [64, 10], y, model.Device);
            var losses = new List<double>();
            for (int epoch = 0; epoch < 3; epoch++)
            {
                data.Shuffle((ulong)epoch);
                for (int start = 0; start < 64; start += 21)   // 21, 21, 21, 1: uneven shares included
                {
                    model.TrainStep(opt, data, start, Math.Min(21, 64 - start));
                    losses.Add(model.ReadStats().MeanLoss);
                }
            }
            parameters = model.CopyParameters();
            return [.. losses];
        }

        var single = Run("cpu", out var p1);
        var parallel = Run("cpu,cpu", out var p2);

        Assert.Equal(single.Length, parallel.Length);
        for (int i = 0; i < single.Length; i++) Assert.Equal(single[i], parallel[i], tolerance: 1e-5);
        for (int i = 0; i < p1.Length; i++) Assert.Equal(p1[i], p2[i], tolerance: 1e-4);
    }
}
