using Dashboard.Training.Specs;

namespace Dashboard.Training.Models;

/// <summary>Turns a spec's model section into its graph, for the input shape of one sample of the dataset.</summary>
public static class ModelFactory
{
    public static ModelGraph Build(ModelSpec spec, long[] inputShape, int classes)
    {
        bool images = inputShape.Length == 3;
        if (spec.Name != "mlp" && !images)
            throw new ArgumentException($"model {spec.Name} needs images [C, H, W]; this dataset gives [{string.Join(", ", inputShape)}]");
        bool cifarStem = spec.Stem == "cifar" || (spec.Stem == "auto" && images && inputShape[2] <= 64);
        return spec.Name switch
        {
            "mlp" => Mlp.Build(inputShape, new MlpOptions(spec.LayerSize, Activations(spec), spec.BatchNorm ?? false,
                spec.Dropout ?? 0, spec.SkipSteps, spec.OutputDim), classes),
            "cnn" => Cnn.Build(inputShape, spec.Width, spec.Depth, spec.Stages, spec.BatchNorm ?? true,
                spec.ActFuncs.Length > 0 ? SpecValidator.ParseActivation(spec.ActFuncs[0]) : Activation.Relu, classes),
            "simple_cnn" => SimpleCnn.Build(inputShape, classes),
            "resnet18" => ResNet.Build(inputShape, ResNet.Resnet18Blocks, cifarStem, classes),
            "resnet34" => ResNet.Build(inputShape, ResNet.Resnet34Blocks, cifarStem, classes),
            "mobilenet_v2" => MobileNetV2.Build(inputShape, spec.WidthMult, cifarStem, spec.Dropout ?? 0.2, classes),
            _ => throw new ArgumentException($"unknown model '{spec.Name}'"),
        };
    }

    /// <summary>The graph a spec trains, from the spec alone (the run page shows it without loading data).</summary>
    public static ModelGraph BuildFor(ExperimentSpec spec) =>
        Build(spec.Model!, Datasets.DatasetLoader.InputShapeOf(spec.Dataset!), Datasets.DatasetLoader.ClassesOf(spec.Dataset!));

    private static Activation[] Activations(ModelSpec spec) =>
        spec.ActFuncs.Length == 0
            ? Enumerable.Repeat(Activation.Relu, spec.LayerSize.Length).ToArray()
            : spec.ActFuncs.Select(SpecValidator.ParseActivation).ToArray();
}
