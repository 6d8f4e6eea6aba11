namespace Dashboard.Training.Models;

/// <summary>
/// ResNet-18 and ResNet-34 with BasicBlocks, laid out as torchvision's (so the parameter counts agree).
/// The ImageNet stem is conv 7x7/64 stride 2, batch norm, relu, max-pool 3x3 stride 2; the CIFAR stem, for 32x32
/// images, is conv 3x3/64 stride 1 with no pooling, which keeps enough resolution for the four stages.
/// </summary>
public static class ResNet
{
    public static readonly int[] Resnet18Blocks = [2, 2, 2, 2], Resnet34Blocks = [3, 4, 6, 3];

    public static ModelGraph Build(long[] inputShape, int[] blocksPerStage, bool cifarStem, long classes)
    {
        var g = new ModelGraph(inputShape);
        int x = cifarStem
            ? g.Conv2d(ModelGraph.InputNode, 64, kernel: 3, stride: 1, padding: 1, bias: false)
            : g.Conv2d(ModelGraph.InputNode, 64, kernel: 7, stride: 2, padding: 3, bias: false);
        x = g.Activate(g.BatchNorm(x), Activation.Relu);
        if (!cifarStem) x = g.MaxPool2d(x, kernel: 3, stride: 2, padding: 1);
        long channels = 64;
        for (int stage = 0; stage < blocksPerStage.Length; stage++, channels *= 2)
            for (int b = 0; b < blocksPerStage[stage]; b++)
                x = BasicBlock(g, x, channels, stride: stage > 0 && b == 0 ? 2 : 1);
        x = g.GlobalAvgPool(x);
        g.CurrentGroup = ModelGraph.Head;
        g.Linear(x, classes);
        return g;
    }

    private static int BasicBlock(ModelGraph g, int input, long channels, int stride)
    {
        int y = g.Activate(g.BatchNorm(g.Conv2d(input, channels, kernel: 3, stride: stride, padding: 1, bias: false)), Activation.Relu);
        y = g.BatchNorm(g.Conv2d(y, channels, kernel: 3, stride: 1, padding: 1, bias: false));
        int shortcut = input;
        if (stride != 1 || g.ShapeOf(input)[0] != channels)
            shortcut = g.BatchNorm(g.Conv2d(input, channels, kernel: 1, stride: stride, bias: false));
        return g.Activate(g.Sum(y, shortcut), Activation.Relu);
    }
}
