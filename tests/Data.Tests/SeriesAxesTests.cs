using Dashboard.Data.Metrics;

namespace Dashboard.Data.Tests;

public class SeriesAxesTests
{
    [Fact]
    public void A_counter_is_read_at_its_logged_steps_and_interpolated_between_and_beyond_them()
    {
        // updates logged every 10 steps, as with log_every: 10.
        (long, double)[] updates = [(10, 100), (20, 200), (30, 250)];
        var x = SeriesAxes.Interpolate(updates, [5, 10, 15, 20, 25, 30, 40], fromZero: true);
        // From 0 at step 0 to the first point; between points linearly; after the last at the last segment's slope.
        Assert.Equal([50, 100, 150, 200, 225, 250, 300], x);
    }

    [Fact]
    public void Without_a_zero_start_the_first_segment_is_extended_backwards()
    {
        (long, double)[] seconds = [(10, 100), (20, 300)];
        Assert.Equal([0, 200, 400], SeriesAxes.Interpolate(seconds, [5, 15, 25], fromZero: false));
        Assert.Equal([7.0, 7.0], SeriesAxes.Interpolate([(3L, 7.0)], [1, 9], fromZero: false));
        Assert.All(SeriesAxes.Interpolate([], [1, 2], fromZero: false), v => Assert.True(double.IsNaN(v)));
    }

    [Fact]
    public void Epochs_are_fractional_within_each_epoch_and_go_on_at_the_last_epochs_length()
    {
        // Epochs of 4, 4 and 2 steps (a growing batch): the epoch metric is logged at each epoch's last step.
        (long, double)[] ends = [(4, 1), (8, 2), (10, 3)];
        var x = SeriesAxes.Epochs(ends, [1, 2, 4, 5, 8, 9, 10, 11, 12]);
        Assert.Equal([0.25, 0.5, 1, 1.25, 2, 2.5, 3, 3.5, 4], x);
    }

    [Fact]
    public void Before_any_epoch_ends_its_length_is_unknown_so_there_is_no_epoch_axis()
    {
        Assert.All(SeriesAxes.Epochs([], [1, 2, 3]), v => Assert.True(double.IsNaN(v)));
        // Once the first ends, its length carries the axis on through the epoch still training.
        Assert.Equal([0.2, 1, 2, 2.4], SeriesAxes.Epochs([(5L, 1.0)], [1, 5, 10, 12]));
    }

    [Fact]
    public void Relative_time_counts_seconds_from_the_origin()
    {
        var t0 = new DateTime(2026, 1, 1, 12, 0, 0, DateTimeKind.Utc);
        Assert.Equal([0, 1.5, 60], SeriesAxes.SecondsSince([t0, t0.AddSeconds(1.5), t0.AddMinutes(1)], t0));
    }
}
