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
    public void Runs_are_interpolated_onto_one_grid_over_the_range_all_of_them_cover_so_the_mean_never_jumps()
    {
        // a: y = x on [0, 10], logged every 5; b: y = x + 2 on [5, 15], logged every 2.5. Averaged where only one of
        // them is, the mean would jump by 2 where b starts and where a ends.
        var a = (new double[] { 0, 5, 10 }, new double[] { 0, 5, 10 });
        var b = (new double[] { 5, 7.5, 10, 12.5, 15 }, new double[] { 7, 9.5, 12, 14.5, 17 });
        var band = SeriesBands.Of([a, b], 5);   // grid 5, 6.25, ..., 10

        Assert.Equal([5, 6.25, 7.5, 8.75, 10], band.X);
        Assert.Equal([2, 2, 2, 2, 2], band.N);
        Assert.Equal([6, 7.25, 8.5, 9.75, 11], band.Mean);
        Assert.All(band.Std, s => Assert.Equal(Math.Sqrt(2), s, 12));
    }

    [Fact]
    public void Runs_that_never_overlap_give_no_band_and_points_without_an_x_are_ignored()
    {
        Assert.Empty(SeriesBands.Of([([0, 1], [5, 5]), ([3, 4], [1, 1])], 5).X);
        var band = SeriesBands.Of([([0, 4], [5, 5]), ([3, double.NaN, 4], [1, 100, 1])], 2);
        Assert.Equal([3, 4], band.X);
        Assert.Equal([3, 3], band.Mean);
        Assert.Equal([2, 2], band.N);
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
