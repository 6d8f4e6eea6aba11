namespace Dashboard.Training.Models;

public sealed record MlpOptions(IReadOnlyList<int> LayerSizes, IReadOnlyList<Activation> Activations, bool BatchNorm = false,
    double Dropout = 0, int SkipSteps = 0, int? OutputDim = null);

/// <summary>
/// Fully connected layers (linear, optional batch norm, activation, optional dropout), then the optional reduced
/// embedding (output_dim, linear without activation), then the linear classifier.
/// skip_steps = s adds hidden layer i's output to hidden layer i+s's output (a residual connection; a
/// bias-free projection when their widths differ).
/// </summary>
public static class Mlp
{
    public static ModelGraph Build(long[] inputShape, MlpOptions o, long classes)
    {
        if (o.LayerSizes.Count != o.Activations.Count)
            throw new ArgumentException($"{o.LayerSizes.Count} layer sizes but {o.Activations.Count} activations");
        var g = new ModelGraph(inputShape);
        // Images arrive as [C, H, W]; flattening [p] changes nothing but keeps one path for both.
        int x = g.Flatten(ModelGraph.InputNode);
        var hidden = new List<int>();
        for (int i = 0; i < o.LayerSizes.Count; i++)
        {
            x = g.Linear(x, o.LayerSizes[i], bias: !o.BatchNorm);
            if (o.BatchNorm) x = g.BatchNorm(x);
            x = g.Activate(x, o.Activations[i]);
            if (o.SkipSteps > 0 && i - o.SkipSteps >= 0)
            {
                int from = hidden[i - o.SkipSteps];
                if (g.ShapeOf(from)[0] != o.LayerSizes[i]) from = g.Linear(from, o.LayerSizes[i], bias: false);
                x = g.Sum(x, from);
            }
            if (o.Dropout > 0) x = g.Dropout(x, o.Dropout);
            hidden.Add(x);
        }
        if (o.OutputDim is { } dim) x = g.Linear(x, dim);
        g.CurrentGroup = ModelGraph.Head;
        g.Linear(x, classes);
        return g;
    }

    /// <summary>A plain MLP: one activation per hidden layer, nothing else.</summary>
    public static ModelGraph Build(long inputs, IReadOnlyList<int> layerSizes, IReadOnlyList<Activation> activations, long classes) =>
        Build([inputs], new MlpOptions(layerSizes, activations), classes);
}
