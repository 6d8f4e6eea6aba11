using Dashboard.Training.Specs;

namespace Dashboard.Training.Models;

public static class ModelFactory
{
    public static ModelGraph Build(ModelSpec spec, long inputFeatures, int classes) => spec.Name switch
    {
        "mlp" => Mlp.Build(inputFeatures, spec.LayerSize,
            spec.ActFuncs.Length == 0
                ? Enumerable.Repeat(Activation.Relu, spec.LayerSize.Length).ToArray()
                : spec.ActFuncs.Select(SpecValidator.ParseActivation).ToArray(),
            classes),
        _ => throw new ArgumentException($"unknown model '{spec.Name}'"),
    };
}
