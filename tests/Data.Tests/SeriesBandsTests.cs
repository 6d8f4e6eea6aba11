using Dashboard.Data.Metrics;

namespace Dashboard.Data.Tests;

public class SeriesBandsTests
{
    [Fact]
    public void Three_runs_at_the_same_x_give_their_mean_and_sample_standard_deviation()
    {
        double[] x = [0, 1, 2];
        var band = SeriesBands.Of([(x, [1, 1, 1]), (x, [2, 2, 2]), (x, [3, 3, 6])], 3);
        Assert.Equal([0, 1, 2], band.X);
        Assert.Equal([2, 2, 3], band.Mean);
        // (1, 2, 3): deviations -1, 0, 1, squares summed 2, over n - 1 = 2: 1. (1, 2, 6): 4 + 1 + 9 = 14, over 2: 7.
        Assert.Equal([1, 1, Math.Sqrt(7)], band.Std);
        Assert.Equal([3, 3, 3], band.N);
    }

    [Fact]
    public void Runs_are_interpolated_onto_one_grid_and_count_only_inside_their_own_range()
    {
        // a: y = x on [0, 10], logged every 5; b: y = x + 2 on [5, 15], logged every 2.5.
        var a = (new double[] { 0, 5, 10 }, new double[] { 0, 5, 10 });
        var b = (new double[] { 5, 7.5, 10, 12.5, 15 }, new double[] { 7, 9.5, 12, 14.5, 17 });
        var band = SeriesBands.Of([a, b], 7);   // grid 0, 2.5, ..., 15

        Assert.Equal([0, 2.5, 5, 7.5, 10, 12.5, 15], band.X);
        Assert.Equal([1, 1, 2, 2, 2, 1, 1], band.N);
        Assert.Equal([0, 2.5, 6, 8.5, 11, 14.5, 17], band.Mean);
        Assert.Equal([0, 0, Math.Sqrt(2), Math.Sqrt(2), Math.Sqrt(2), 0, 0], band.Std);
    }

    [Fact]
    public void A_stretch_no_run_covers_is_left_out_and_points_without_an_x_are_ignored()
    {
        var band = SeriesBands.Of([([0, 1], [5, 5]), ([3, double.NaN, 4], [1, 100, 1])], 5);
        Assert.Equal([0, 1, 3, 4], band.X);
        Assert.Equal([5, 5, 1, 1], band.Mean);
        Assert.Equal([1, 1, 1, 1], band.N);
    }

    [Fact]
    public void A_single_run_is_its_own_mean_with_no_spread()
    {
        var band = SeriesBands.Of([([2, 4], [10, 20])], 3);
        Assert.Equal([2, 3, 4], band.X);
        Assert.Equal([10, 15, 20], band.Mean);
        Assert.Equal([0, 0, 0], band.Std);
        Assert.Empty(SeriesBands.Of([], 10).X);
    }
}
