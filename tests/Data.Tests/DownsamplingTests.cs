using Dashboard.Data.Metrics;

namespace Dashboard.Data.Tests;

public class DownsamplingTests
{
    [Fact]
    public void A_long_series_keeps_every_spike_the_ends_and_its_order_within_the_target()
    {
        var series = Enumerable.Range(1, 100_000).Select(i => ((long)i, Math.Sin(i / 500.0) + i * 1e-6)).ToList();
        series[43_210] = (43_211, 25.0);    // one step up
        series[77_776] = (77_777, -30.0);   // one step down
        var kept = Downsampling.MinMax(series, 1500);

        Assert.InRange(kept.Count, 1000, 1500);
        Assert.Contains((43_211L, 25.0), kept);
        Assert.Contains((77_777L, -30.0), kept);
        Assert.Equal(series[0], kept[0]);
        Assert.Equal(series[^1], kept[^1]);
        Assert.Equal(kept.Select(p => p.Step).Order(), kept.Select(p => p.Step));
        Assert.Equal(kept.Count, kept.Select(p => p.Step).Distinct().Count());
        // Each bucket's extremes: the kept curve spans what the full one spans.
        Assert.Equal(series.Max(p => p.Item2), kept.Max(p => p.Value));
        Assert.Equal(series.Min(p => p.Item2), kept.Min(p => p.Value));
    }

    [Fact]
    public void A_short_series_comes_back_whole()
    {
        var series = Enumerable.Range(1, 50).Select(i => ((long)i, (double)i)).ToList();
        Assert.Equal(series, Downsampling.MinMax(series, 1500));
        Assert.Throws<ArgumentOutOfRangeException>(() => Downsampling.MinMax(series, 3));
    }
}
