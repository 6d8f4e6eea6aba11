namespace Dashboard.Training.Models;

/// <summary>
/// MobileNetV2 (inverted residuals with linear bottlenecks) laid out as torchvision's, with the width multiplier.
/// The CIFAR stem keeps the first convolution at stride 1, as 32x32 images would otherwise shrink to 1x1 early.
/// </summary>
public static class MobileNetV2
{
    // expansion t, output channels c, repeats n, first stride s
    private static readonly (int T, int C, int N, int S)[] Settings =
        [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)];

    public static ModelGraph Build(long[] inputShape, double widthMult, bool cifarStem, double dropout, long classes)
    {
        var g = new ModelGraph(inputShape);
        long channels = Divisible(32 * widthMult);
        int x = ConvBnRelu6(g, ModelGraph.InputNode, channels, kernel: 3, stride: cifarStem ? 1 : 2);
        foreach (var (t, c, n, s) in Settings)
        {
            long outChannels = Divisible(c * widthMult);
            for (int i = 0; i < n; i++)
            {
                x = InvertedResidual(g, x, outChannels, i == 0 ? s : 1, t);
            }
        }
        long last = Divisible(1280 * Math.Max(1.0, widthMult));
        x = ConvBnRelu6(g, x, last, kernel: 1, stride: 1);
        x = g.GlobalAvgPool(x);
        g.CurrentGroup = ModelGraph.Head;
        if (dropout > 0) x = g.Dropout(x, dropout);
        g.Linear(x, classes);
        return g;
    }

    private static int ConvBnRelu6(ModelGraph g, int input, long channels, int kernel, int stride, int groups = 1) =>
        g.Activate(g.BatchNorm(g.Conv2d(input, channels, kernel, stride, padding: (kernel - 1) / 2, groups: groups, bias: false)), Activation.Relu6);

    private static int InvertedResidual(ModelGraph g, int input, long outChannels, int stride, int expansion)
    {
        long inChannels = g.ShapeOf(input)[0];
        long hidden = (long)Math.Round(inChannels * (double)expansion);
        int x = input;
        if (expansion != 1) x = ConvBnRelu6(g, x, hidden, kernel: 1, stride: 1);
        x = ConvBnRelu6(g, x, hidden, kernel: 3, stride: stride, groups: (int)hidden);
        x = g.BatchNorm(g.Conv2d(x, outChannels, kernel: 1, bias: false));
        return stride == 1 && inChannels == outChannels ? g.Sum(input, x) : x;
    }

    /// <summary>Rounds channels to a multiple of 8, never more than 10% below the exact value (as the paper's code does).</summary>
    public static long Divisible(double v, int divisor = 8)
    {
        long rounded = Math.Max(divisor, (long)(v + divisor / 2.0) / divisor * divisor);
        if (rounded < 0.9 * v) rounded += divisor;
        return rounded;
    }
}
