using Dashboard.Training.Datasets;

namespace Dashboard.Training.Tests;

public sealed class NormalisationTests
{
    [Fact]
    public void Images_get_one_mean_and_std_per_channel()
    {
        // [2, 2, 1, 2]: channel 0 holds 1, 2 / 3, 4; channel 1 holds 10, 10 / 30, 30.
        var data = new TensorData([1, 2, 10, 10, 3, 4, 30, 30], [2, 2, 1, 2], [0, 1]);
        var (mean, std) = Normalisation.PerChannel(data);
        Assert.Equal([2.5, 20.0], mean);
        Assert.Equal(Math.Sqrt(1.25), std[0], 12); // population std of 1, 2, 3, 4
        Assert.Equal(10.0, std[1], 12);

        Normalisation.Apply(data, mean, std);
        Assert.Equal(-1.5 / Math.Sqrt(1.25), data.Inputs[0], 5);
        Assert.Equal([-1f, -1f], data.Inputs[2..4]);
        Assert.Equal([1f, 1f], data.Inputs[6..8]);
        var (after, afterStd) = Normalisation.PerChannel(data);
        Assert.All(after, m => Assert.Equal(0, m, 6));
        Assert.All(afterStd, s => Assert.Equal(1, s, 6));
    }

    [Fact]
    public void Flat_data_is_one_channel()
    {
        // [3, 2]: one mean and std over all six values, not one per feature.
        var data = new TensorData([0, 10, 2, 10, 4, 10], [3, 2], [0, 0, 1]);
        var (mean, std) = Normalisation.PerChannel(data);
        Assert.Single(mean);
        Assert.Equal(6.0, mean[0], 12);
        Assert.Equal(Math.Sqrt((36 + 16 + 16 + 16 + 4 + 16) / 6.0), std[0], 12);
        Normalisation.Apply(data, mean, std);
        Assert.Equal((float)(-6 / std[0]), data.Inputs[0], 6);
        Assert.Equal((float)(4 / std[0]), data.Inputs[1], 6);
    }

    [Fact]
    public void A_constant_channel_is_only_centred()
    {
        var data = new TensorData([5, 5, 1, 3, 5, 5, 1, 3], [2, 2, 2, 1], [0, 1]);
        var (mean, std) = Normalisation.PerChannel(data);
        Assert.Equal(0.0, std[0]);
        Normalisation.Apply(data, mean, std);
        Assert.Equal([0f, 0f, -1f, 1f, 0f, 0f, -1f, 1f], data.Inputs);
    }

    [Fact]
    public void Validation_data_uses_the_training_statistics()
    {
        var train = new TensorData([0, 2, 0, 2], [2, 1, 2, 1], [0, 1]);
        var validation = new TensorData([4, 1], [1, 1, 2, 1], [0]);
        var (mean, std) = Normalisation.PerChannel(train);
        Normalisation.Apply(validation, mean, std);
        Assert.Equal([3f, 0f], validation.Inputs);
    }

    [Fact]
    public void Sums_run_in_double()
    {
        // A million values of 1e4 + 0.1 * (i % 2): float sums would drift visibly.
        const int n = 1_000_000;
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = 10_000f + (i % 2 == 0 ? 0f : 0.5f);
        var (mean, std) = Normalisation.PerChannel(new TensorData(x, [n, 1], new long[n]));
        Assert.Equal(10_000.25, mean[0], 9);
        Assert.Equal(0.25, std[0], 9);
    }

    [Fact]
    public void Statistics_of_the_wrong_length_are_rejected()
    {
        var data = new TensorData(new float[2 * 3 * 4], [2, 3, 2, 2], [0, 1]);
        Assert.Equal(3, Normalisation.ChannelCount(data.Shape));
        var e = Assert.Throws<ArgumentException>(() => Normalisation.Apply(data, [0.0], [1.0]));
        Assert.Contains("3 channel", e.Message);
    }
}
