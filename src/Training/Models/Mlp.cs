namespace Dashboard.Training.Models;

/// <summary>Fully connected layers, each followed by its activation, then a linear classifier.</summary>
public static class Mlp
{
    public static ModelGraph Build(long inputs, IReadOnlyList<int> layerSizes, IReadOnlyList<Activation> activations, long classes)
    {
        if (layerSizes.Count != activations.Count)
            throw new ArgumentException($"{layerSizes.Count} layer sizes but {activations.Count} activations");
        var g = new ModelGraph();
        // Images arrive as [N, C, H, W]; flattening [N, p] changes nothing.
        int x = g.Flatten(ModelGraph.InputNode);
        long width = inputs;
        for (int i = 0; i < layerSizes.Count; i++)
        {
            x = g.Linear(x, width, layerSizes[i]);
            x = g.Activate(x, activations[i]);
            width = layerSizes[i];
        }
        g.Linear(x, width, classes);
        return g;
    }
}
