namespace Dashboard.Training.Datasets;

/// <summary>
/// Per-channel standardisation. Channels: for data of rank 3 or more ([N, C, ...], e.g. images [N, C, H, W]) the
/// channel is dimension 1 and the statistics run over the samples and all the positions after it; for flat data
/// ([N, F], or [N]) the whole sample is one channel, a single mean and std over every value (not one per feature),
/// which keeps the relative scale of the features as it was.
/// </summary>
public static class Normalisation
{
    /// <summary>The number of channels <see cref="PerChannel"/> gives for data of this shape.</summary>
    public static int ChannelCount(long[] shape) => shape.Length >= 3 ? checked((int)shape[1]) : 1;

    /// <summary>
    /// Mean and standard deviation of each channel over the training set: the population std (divided by the count,
    /// like numpy's default and torchvision's usual recipe), summed in double in two passes.
    /// </summary>
    public static (double[] Mean, double[] Std) PerChannel(TensorData train)
    {
        int channels = ChannelCount(train.Shape);
        long n = train.Count;
        long inner = InnerSize(train.Shape);
        var x = train.Inputs;
        var mean = new double[channels];
        var std = new double[channels];
        if (n == 0 || inner == 0) return (mean, std);

        var sums = new double[channels];
        for (long i = 0; i < n; i++)
            for (int c = 0; c < channels; c++)
            {
                long o = (i * channels + c) * inner;
                double s = 0;
                for (long k = 0; k < inner; k++) s += x[o + k];
                sums[c] += s;
            }
        double count = (double)n * inner;
        for (int c = 0; c < channels; c++) mean[c] = sums[c] / count;

        var squares = new double[channels];
        for (long i = 0; i < n; i++)
            for (int c = 0; c < channels; c++)
            {
                long o = (i * channels + c) * inner;
                double m = mean[c], s = 0;
                for (long k = 0; k < inner; k++)
                {
                    double d = x[o + k] - m;
                    s += d * d;
                }
                squares[c] += s;
            }
        for (int c = 0; c < channels; c++) std[c] = Math.Sqrt(squares[c] / count);
        return (mean, std);
    }

    /// <summary>
    /// Normalises in place, x = (x - mean[c]) / std[c], with the channel rule of <see cref="PerChannel"/>.
    /// A std of 0 (a constant channel) is taken as 1, so that channel is only centred.
    /// </summary>
    public static void Apply(TensorData data, double[] mean, double[] std)
    {
        int channels = ChannelCount(data.Shape);
        if (mean.Length != channels || std.Length != channels)
            throw new ArgumentException(
                $"data of shape [{string.Join(", ", data.Shape)}] has {channels} channel(s) but got {mean.Length} mean(s) and {std.Length} std(s)");
        long n = data.Count;
        long inner = InnerSize(data.Shape);
        var x = data.Inputs;
        var scale = new double[channels];
        for (int c = 0; c < channels; c++)
        {
            if (!double.IsFinite(mean[c]) || !double.IsFinite(std[c]) || std[c] < 0)
                throw new ArgumentException($"channel {c}: mean {mean[c]} and std {std[c]} cannot normalise");
            scale[c] = std[c] == 0 ? 1 : 1 / std[c];
        }
        for (long i = 0; i < n; i++)
            for (int c = 0; c < channels; c++)
            {
                long o = (i * channels + c) * inner;
                double m = mean[c], s = scale[c];
                for (long k = 0; k < inner; k++) x[o + k] = (float)((x[o + k] - m) * s);
            }
    }

    // Values per channel per sample.
    private static long InnerSize(long[] shape) =>
        shape.Length >= 3 ? shape.Skip(2).Aggregate(1L, (a, b) => a * b)
        : shape.Length == 2 ? shape[1]
        : 1;
}
