using Dashboard.Training.Models;
using Dashboard.Training.Native;

namespace Dashboard.Training.Tests;

public class DistanceTests
{
    private static (NativeModel Model, NativeOptimizer Opt, DeviceDataset Data) Setup()
    {
        var rng = new Random(2);
        var x = Enumerable.Range(0, 32 * 6).Select(_ => (float)rng.NextDouble()).ToArray();
        var y = Enumerable.Range(0, 32).Select(i => (long)(i % 3)).ToArray();
        var model = NativeModel.Create(Mlp.Build(6, [8], [Activation.Tanh], 3), "cpu", seed: 4);
        return (model, NativeOptimizer.Create(model, OptimizerKind.Sgd, 0.1), DeviceDataset.Create(x, [32, 6], y, "cpu"));
    }

    /// <summary>
    /// One plain SGD step with and without the term: the difference is -lr * gradient of the term, which must point
    /// from the stored minimum towards the weights, with the kernel's slope as its size.
    /// </summary>
    [Theory]
    [InlineData(DistanceKernel.Rbf)]
    [InlineData(DistanceKernel.Tanh)]
    public void The_distance_term_pushes_the_weights_away_from_the_stored_minimum(DistanceKernel kernel)
    {
        const double lr = 0.1, factor = 5, width = 0.5;
        var (a, optA, data) = Setup();
        var (b, optB, _) = Setup();
        using var __ = a; using var ___ = b;
        var theta = a.CopyParameters();
        var rng = new Random(9);
        var minimum = theta.Select(t => t + (float)(rng.NextDouble() - 0.5) * 0.05f).ToArray();
        double d = Math.Sqrt(theta.Zip(minimum).Sum(p => (double)(p.First - p.Second) * (p.First - p.Second)));
        a.SetDistance([minimum], kernel, factor, width);
        Assert.Equal(d, a.Distance()!.Value, 4);
        Assert.Null(b.Distance());

        a.TrainStep(optA, data, 0, 32);
        b.TrainStep(optB, data, 0, 32);
        var pa = a.CopyParameters();
        var pb = b.CopyParameters();

        var push = pa.Zip(pb).Select(p => (double)p.First - p.Second).ToArray();
        var away = theta.Zip(minimum).Select(p => (double)p.First - p.Second).ToArray();
        double dot = push.Zip(away).Sum(p => p.First * p.Second);
        double cos = dot / (Norm(push) * Norm(away));
        Assert.True(cos > 0.999, $"the extra step points along theta - minimum (cos {cos})");
        // |d kernel / d distance| times lr and factor: how far the term moves the weights.
        double slope = kernel == DistanceKernel.Rbf
            ? d / (width * width) * Math.Exp(-d * d / (2 * width * width))
            : (1 - Math.Pow(Math.Tanh(d / width), 2)) / width;
        Assert.Equal(lr * factor * slope, Norm(push), 3);
        Assert.True(a.Distance() > d);
        // The loss read back includes the term.
        Assert.True(a.ReadStats().MeanLoss > b.ReadStats().MeanLoss);
    }

    [Fact]
    public void A_minimum_of_the_wrong_size_is_refused()
    {
        var (a, _, _) = Setup();
        using var __ = a;
        var e = Assert.Throws<ArgumentException>(() => a.SetDistance([new float[3]], DistanceKernel.Rbf, 1, 1));
        Assert.Contains("parameters", e.Message);
    }

    private static double Norm(double[] v) => Math.Sqrt(v.Sum(x => x * x));
}
