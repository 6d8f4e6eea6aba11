namespace Dashboard.Training.Models;

/// <summary>
/// The scaling-study CNN: `stages` stages of `depth` blocks (conv 3x3, batch norm, activation); the first stage has
/// `width` channels and each later one twice as many; a 2x2 max-pool after every stage (while the image is at
/// least 2x2), then flatten and the linear classifier.
/// </summary>
public static class Cnn
{
    public static ModelGraph Build(long[] inputShape, int width, int depth, int stages, bool batchNorm, Activation act, long classes)
    {
        var g = new ModelGraph(inputShape);
        int x = ModelGraph.InputNode;
        long channels = width;
        for (int s = 0; s < stages; s++, channels *= 2)
        {
            for (int b = 0; b < depth; b++)
            {
                x = g.Conv2d(x, channels, kernel: 3, padding: 1, bias: !batchNorm);
                if (batchNorm) x = g.BatchNorm(x);
                x = g.Activate(x, act);
            }
            if (g.ShapeOf(x)[1] >= 2 && g.ShapeOf(x)[2] >= 2) x = g.MaxPool2d(x, kernel: 2, stride: 2);
        }
        x = g.Flatten(x);
        g.CurrentGroup = ModelGraph.Head;
        g.Linear(x, classes);
        return g;
    }
}
