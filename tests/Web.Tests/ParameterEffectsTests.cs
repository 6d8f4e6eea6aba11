using Dashboard.Web.Analysis;

namespace Dashboard.Web.Tests;

/// <summary>The ranking of parameters by the variance of the metric they explain on their own (η²).</summary>
public class ParameterEffectsTests
{
    private static ParameterRun Run(int id, string lr, string width, double metric) =>
        new(id, $"r/{id:D5}", new Dictionary<string, string> { ["optimizer.lr"] = lr, ["model.width"] = width }, metric);

    [Fact]
    public void Eta_squared_is_the_between_group_share_of_the_metric_s_sum_of_squares()
    {
        // lr 0.1: 1, 3 (mean 2); lr 0.01: 5, 7 (mean 6); overall mean 4, total SS 4+1+1+9 = 20 ... worked out below.
        ParameterRun[] runs = [Run(1, "0.1", "8", 1), Run(2, "0.1", "16", 3), Run(3, "0.01", "8", 5), Run(4, "0.01", "16", 7)];

        var effects = ParameterEffects.Rank(runs, ["model.width", "optimizer.lr"]);

        // Total: (1-4)² + (3-4)² + (5-4)² + (7-4)² = 20. lr: 2·(2-4)² + 2·(6-4)² = 16 → 0.8. width: groups 8 → (1+5)/2 = 3,
        // 16 → (3+7)/2 = 5: 2·1 + 2·1 = 4 → 0.2.
        Assert.Equal(["optimizer.lr", "model.width"], effects.Select(e => e.Key));
        Assert.Equal(0.8, effects[0].Explained, 12);
        Assert.Equal(0.2, effects[1].Explained, 12);
        Assert.Equal(2, effects[0].Groups);
        Assert.True(effects[0].Numeric);
    }

    [Fact]
    public void A_number_with_many_values_is_grouped_by_quartile_and_runs_without_a_finite_metric_are_left_out()
    {
        var runs = Enumerable.Range(1, 12).Select(i => Run(i, (0.001 * i).ToString(System.Globalization.CultureInfo.InvariantCulture), "8", i))
            .Append(Run(13, "0.5", "8", double.NaN)).ToList();

        var effect = Assert.Single(ParameterEffects.Rank(runs, ["optimizer.lr"]));

        Assert.Equal(4, effect.Groups);
        // Quartiles of 1..12 in order: groups {1,2,3}, {4,5,6}, {7,8,9}, {10,11,12}: between 3·(9+9+... ) → 135/143.
        Assert.Equal(135.0 / 143, effect.Explained, 12);
    }
}
