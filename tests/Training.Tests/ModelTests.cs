using Dashboard.Training.Models;
using Dashboard.Training.Native;
using Dashboard.Training.Specs;

namespace Dashboard.Training.Tests;

public class ModelTests
{
    // torchvision's published parameter counts for 1000 classes on 224x224 RGB.
    [Theory]
    [InlineData("resnet18", 11_689_512)]
    [InlineData("resnet34", 21_797_672)]
    [InlineData("mobilenet_v2", 3_504_872)]
    public void Parameter_counts_match_torchvision_in_the_graph_and_in_the_shim(string model, long expected)
    {
        var graph = ModelFactory.Build(new ModelSpec { Name = model, Stem = "imagenet" }, [3, 224, 224], 1000);

        Assert.Equal(expected, graph.ParameterCount);
        using var native = NativeModel.Create(graph, "cpu", seed: 1);
        Assert.Equal(expected, native.ParameterCount());
        Assert.Equal([1000L], graph.ShapeOf(graph.Last));
    }

    [Fact]
    public void Resnet_stems_give_the_expected_feature_map_sizes()
    {
        var imagenet = ModelFactory.Build(new ModelSpec { Name = "resnet18", Stem = "imagenet" }, [3, 224, 224], 10);
        var cifar = ModelFactory.Build(new ModelSpec { Name = "resnet18", Stem = "auto" }, [3, 32, 32], 10);
        // The last stage works on 7x7 (ImageNet) and 4x4 (CIFAR stem) maps of 512 channels.
        Assert.Contains(imagenet.Nodes, n => n.Shape.SequenceEqual(new long[] { 512, 7, 7 }));
        Assert.Contains(cifar.Nodes, n => n.Shape.SequenceEqual(new long[] { 512, 4, 4 }));
        Assert.DoesNotContain(cifar.Nodes, n => n.Op == GraphOp.MaxPool2d);
    }

    [Fact]
    public void Linear_and_conv_flops_equal_hand_counts()
    {
        var g = new ModelGraph(3, 32, 32);
        // conv 3->16, 3x3, stride 1, pad 1: 32x32 outputs x 16 channels, each 3*3*3 multiply-adds, plus a bias add.
        int c = g.Conv2d(ModelGraph.InputNode, 16, kernel: 3, padding: 1);
        Assert.Equal(2L * 27 * 16 * 32 * 32 + 16 * 32 * 32, g.Nodes[c].ForwardFlops);
        Assert.Equal(16L * 27 + 16, g.Nodes[c].Params);
        // stride 2, no padding, no bias: (32-3)/2+1 = 15 per side.
        int s = g.Conv2d(c, 8, kernel: 3, stride: 2, bias: false);
        Assert.Equal([8L, 15, 15], g.ShapeOf(s));
        Assert.Equal(2L * 16 * 9 * 8 * 15 * 15, g.Nodes[s].ForwardFlops);
        // depthwise: each output reads one input channel.
        int d = g.Conv2d(s, 8, kernel: 3, padding: 1, groups: 8, bias: false);
        Assert.Equal(2L * 9 * 8 * 15 * 15, g.Nodes[d].ForwardFlops);
        Assert.Equal(8L * 9, g.Nodes[d].Params);

        var m = new ModelGraph(784);
        int l = m.Linear(ModelGraph.InputNode, 256);
        Assert.Equal(2L * 784 * 256 + 256, m.Nodes[l].ForwardFlops);
        Assert.Equal(784L * 256 + 256, m.Nodes[l].Params);
        Assert.Equal(3 * m.ForwardFlopsPerSample, m.TrainingFlopsPerSample);
    }

    [Fact]
    public void Simple_cnn_follows_the_notes_layout()
    {
        var g = ModelFactory.Build(new ModelSpec { Name = "simple_cnn" }, [1, 28, 28], 10);
        var convs = g.Nodes.Where(n => n.Op == GraphOp.Conv2d).ToList();
        Assert.Equal(3, convs.Count);
        Assert.Equal([32L, 13, 13], convs[0].Shape);   // 3x3 stride 2 valid on 28x28
        Assert.Equal([32L, 6, 6], convs[1].Shape);     // 3x3 stride 2 valid on 13x13
        Assert.Equal([16L, 5, 5], convs[2].Shape);     // after the 2x2 stride-1 pool, 1x1 conv to 16
        var fcs = g.Nodes.Where(n => n.Op == GraphOp.Linear).ToList();
        Assert.Equal([512L], fcs[0].Shape);
        Assert.Equal([10L], fcs[1].Shape);
        Assert.Equal(ModelGraph.Head, fcs[1].Group);
    }

    [Fact]
    public void Mlp_options_add_batch_norm_skips_dropout_and_the_reduced_embedding()
    {
        var g = Mlp.Build([20], new MlpOptions([16, 16, 8], [Activation.Relu, Activation.Tanh, Activation.Gelu], BatchNorm: true,
            Dropout: 0.2, SkipSteps: 1, OutputDim: 4), 3);

        Assert.Equal(3, g.Nodes.Count(n => n.Op == GraphOp.BatchNorm));
        Assert.Equal(3, g.Nodes.Count(n => n.Op == GraphOp.Dropout));
        // Layer 2 gets layer 1 added as is (same width); layer 3 (width 8) through a projection.
        Assert.Equal(2, g.Nodes.Count(n => n.Op == GraphOp.Add));
        Assert.Contains(g.Nodes, n => n.Op == GraphOp.Linear && n.Attrs[0] == 16 && n.Attrs[1] == 8 && n.Attrs[2] == 0 && n.Inputs[0] != g.Last - 1);
        var linears = g.Nodes.Where(n => n.Op == GraphOp.Linear).ToList();
        Assert.Equal([4L], linears[^2].Shape);
        Assert.Equal([3L], linears[^1].Shape);
        using var native = NativeModel.Create(g, "cpu", 1);
        Assert.Equal(g.ParameterCount, native.ParameterCount());
    }

    [Fact]
    public void A_model_that_does_not_fit_the_data_is_refused_with_the_reason()
    {
        var e = Assert.Throws<InvalidSpecException>(() => SpecJson.Parse("""{"dataset":"hyperspheres","model":"resnet18"}"""));
        Assert.Contains("needs images", e.Errors.For("model.name").Single());
        var conv = Assert.Throws<ArgumentException>(() => new ModelGraph(1, 4, 4).Conv2d(ModelGraph.InputNode, 8, kernel: 7));
        Assert.Contains("does not fit", conv.Message);
    }

    public static TheoryData<string> AllModels => new() { "mlp", "cnn", "simple_cnn", "resnet18", "resnet34", "mobilenet_v2" };

    /// <summary>Each architecture trains on the CPU: a few steps on one fixed batch make its loss fall.</summary>
    [Theory]
    [MemberData(nameof(AllModels))]
    public void Every_model_trains_a_few_cpu_steps_with_a_falling_loss(string name)
    {
        const int n = 16, classes = 4;
        var images = SmallImages(n, classes, seed: 3);
        var graph = ModelFactory.Build(new ModelSpec { Name = name, Width = 8, LayerSize = [32] }, [3, 32, 32], classes);
        using var model = NativeModel.Create(graph, "cpu", seed: 5);
        using var data = DeviceDataset.Create(images.X, [n, 3, 32, 32], images.Y, "cpu");
        using var optimizer = NativeOptimizer.Create(model, OptimizerKind.Adam, 1e-3);

        var losses = new List<double>();
        for (int step = 0; step < 8; step++)
        {
            model.TrainStep(optimizer, data, 0, n);
            losses.Add(model.ReadStats().MeanLoss);
        }

        Assert.All(losses, l => Assert.True(double.IsFinite(l)));
        Assert.True(losses[^1] < 0.8 * losses[0], $"{name}: loss {losses[0]:F4} -> {losses[^1]:F4}");
    }

    /// <summary>Images whose class is the brightest quadrant: learnable by any of the models.</summary>
    internal static (float[] X, long[] Y) SmallImages(int n, int classes, int seed)
    {
        var rng = new Random(seed);
        var x = new float[n * 3 * 32 * 32];
        var y = new long[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = i % classes;
            for (int c = 0; c < 3; c++)
                for (int r = 0; r < 32; r++)
                    for (int col = 0; col < 32; col++)
                    {
                        int quadrant = (r >= 16 ? 2 : 0) + (col >= 16 ? 1 : 0);
                        x[((i * 3 + c) * 32 + r) * 32 + col] = (float)(rng.NextDouble() * 0.5 + (quadrant == y[i] ? 1.0 : 0.0));
                    }
        }
        return (x, y);
    }
}
