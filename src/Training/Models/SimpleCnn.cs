namespace Dashboard.Training.Models;

/// <summary>
/// The batch-size study's network (notes, "Network Architecture"): conv 3x3/32 stride 2 valid, conv 3x3/32 stride 2
/// valid, max-pool 2x2 stride 1 valid, conv 1x1/16, fc 512, fc to the classes (softmax in the loss); relu after
/// each conv and fc1.
/// </summary>
public static class SimpleCnn
{
    public static ModelGraph Build(long[] inputShape, long classes)
    {
        var g = new ModelGraph(inputShape);
        int x = g.Activate(g.Conv2d(ModelGraph.InputNode, 32, kernel: 3, stride: 2), Activation.Relu);
        x = g.Activate(g.Conv2d(x, 32, kernel: 3, stride: 2), Activation.Relu);
        x = g.MaxPool2d(x, kernel: 2, stride: 1);
        x = g.Activate(g.Conv2d(x, 16, kernel: 1), Activation.Relu);
        x = g.Activate(g.Linear(g.Flatten(x), 512), Activation.Relu);
        g.CurrentGroup = ModelGraph.Head;
        g.Linear(x, classes);
        return g;
    }
}
