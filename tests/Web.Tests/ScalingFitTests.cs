using Dashboard.Web.Analysis;

namespace Dashboard.Web.Tests;

/// <summary>Scaling-law fits on losses drawn from known laws with noise: the constants come back inside their intervals.</summary>
public class ScalingFitTests
{
    /// <summary>A loss with multiplicative noise of relative size <paramref name="noise"/>, seeded per (seed, x).</summary>
    private static double Noisy(double loss, double noise, Random random) => loss * Math.Exp(noise * Gaussian(random));

    private static double Gaussian(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());

    private static List<ScalingPoint> Law(Func<double, double> law, double[] xs, int seeds, double noise, int draw = 1)
    {
        var random = new Random(draw);
        return [.. from s in Enumerable.Range(0, seeds) from x in xs select new ScalingPoint(x, Noisy(law(x), noise, random), $"seed {s}")];
    }

    private static readonly double[] Sizes = [1e3, 3e3, 1e4, 3e4, 1e5, 3e5, 1e6, 3e6];

    [Fact]
    public void A_pure_power_law_is_recovered_and_its_interval_holds_the_exponent_in_most_draws()
    {
        var fits = Enumerable.Range(1, 20).Select(draw => ScalingFit.PowerLaw(Law(x => 5 * Math.Pow(x, -0.3), Sizes, seeds: 5, noise: 0.02, draw), false, 40, draw)).ToList();

        // 95% intervals: in 20 draws at least 17 hold the true exponent (19 expected); the estimates centre on it.
        Assert.True(fits.Count(f => f.Alpha.Contains(0.3)) >= 17, string.Join("; ", fits.Select(f => f.Alpha)));
        Assert.True(fits.Count(f => f.A.Contains(5)) >= 17, string.Join("; ", fits.Select(f => f.A)));
        Assert.InRange(fits.Average(f => f.Alpha.Value), 0.297, 0.303);
        var fit = fits[0];
        Assert.Null(fit.E);
        Assert.Equal("95% intervals: bootstrap over 5 seeds, 40 rounds", fit.Bootstrap);
        Assert.Equal(40, fit.Residuals.Count);
        Assert.InRange(fit.Rmse, 0.01, 0.03);   // the noise was 2% in log L
        Assert.StartsWith("L = ", fit.Formula("N"));
        Assert.Contains("·N^(−0.", fit.Formula("N"));
    }

    [Fact]
    public void A_law_with_an_irreducible_loss_is_recovered_with_its_offset()
    {
        double[] xs = [1e2, 3e2, 1e3, 3e3, 1e4, 3e4, 1e5, 3e5, 1e6];
        var fits = Enumerable.Range(1, 20).Select(draw => ScalingFit.PowerLaw(Law(x => 20 * Math.Pow(x, -0.5) + 0.8, xs, seeds: 5, noise: 0.01, draw), true, 40, draw)).ToList();

        Assert.True(fits.Count(f => f.Alpha.Contains(0.5)) >= 17, string.Join("; ", fits.Select(f => f.Alpha)));
        Assert.True(fits.Count(f => f.E!.Value.Contains(0.8)) >= 17, string.Join("; ", fits.Select(f => f.E)));
        Assert.InRange(fits.Average(f => f.Alpha.Value), 0.495, 0.505);
        Assert.InRange(fits.Average(f => f.E!.Value.Value), 0.79, 0.81);
        // Without the offset the exponent comes out far too small: the law bends towards E.
        Assert.True(ScalingFit.PowerLaw(Law(x => 20 * Math.Pow(x, -0.5) + 0.8, xs, 5, 0.01), false, 20).Alpha.Value < 0.25);
    }

    [Fact]
    public void The_joint_law_gives_back_both_exponents_and_the_compute_optimal_split()
    {
        // Hoffmann et al.'s fitted constants as the truth: N_opt ∝ C^(b/(a+b)) = C^0.45.
        const double a = 0.34, b = 0.28, A = 406.4, B = 410.7, E = 1.69;
        var random = new Random(3);
        var points = new List<JointPoint>();
        foreach (var seed in Enumerable.Range(0, 3))
            foreach (var n in new[] { 1e5, 1e6, 1e7, 1e8 })
                foreach (var d in new[] { 1e6, 1e7, 1e8, 1e9 })
                    points.Add(new JointPoint(n, d, Noisy(A * Math.Pow(n, -a) + B * Math.Pow(d, -b) + E, 0.005, random), $"seed {seed}"));

        var fit = ScalingFit.Joint(points, withOffset: true, rounds: 100);

        Assert.True(fit.Alpha.Contains(a), $"a = {fit.Alpha}");
        Assert.True(fit.Beta.Contains(b), $"b = {fit.Beta}");
        Assert.True(fit.E!.Value.Contains(E), $"E = {fit.E}");
        Assert.InRange(fit.NExponent, b / (a + b) - 0.03, b / (a + b) + 0.03);
        Assert.InRange(fit.DExponent, a / (a + b) - 0.03, a / (a + b) + 0.03);
        Assert.Equal(1.0, fit.NExponent + fit.DExponent, 9);
    }

    [Fact]
    public void A_fit_that_cannot_be_made_says_why()
    {
        Assert.Equal("the fit needs at least 3 distinct values of x; these runs have 2",
            Assert.Throws<FitException>(() => ScalingFit.PowerLaw([new(1e3, 1, "0"), new(1e4, 0.5, "0"), new(1e4, 0.6, "1")], false)).Message);
        Assert.Equal("the fit needs at least 4 distinct values of x; these runs have 3",
            Assert.Throws<FitException>(() => ScalingFit.PowerLaw([new(1e3, 1, "0"), new(1e4, 0.5, "0"), new(1e5, 0.4, "0")], true)).Message);
        Assert.Equal("every loss must be a positive finite number to fit a power law; one is 0",
            Assert.Throws<FitException>(() => ScalingFit.PowerLaw([new(1e3, 1, "0"), new(1e4, 0, "0"), new(1e5, 0.4, "0")], false)).Message);
        Assert.Equal("x has no spread: every run has x = 1000",
            Assert.Throws<FitException>(() => ScalingFit.PowerLaw([new(1e3, 1, "0"), new(1e3, 0.9, "1"), new(1e3, 0.8, "2")], false)).Message);
        Assert.Equal("no runs with the target metric to fit", Assert.Throws<FitException>(() => ScalingFit.PowerLaw([], false)).Message);
        Assert.StartsWith("the joint law needs at least 6 distinct (N, D) pairs",
            Assert.Throws<FitException>(() => ScalingFit.Joint([new(1e5, 1e6, 3, "0"), new(1e6, 1e7, 2, "0"), new(1e5, 1e7, 2.5, "0")], true)).Message);
    }

    [Fact]
    public void One_seed_is_bootstrapped_over_its_runs_and_says_so()
    {
        var fit = ScalingFit.PowerLaw(Law(x => 3 * Math.Pow(x, -0.2), Sizes, seeds: 1, noise: 0.01), false, rounds: 50);
        Assert.Equal("95% intervals: bootstrap over the 8 runs (50 rounds; one seed, so not over seeds)", fit.Bootstrap);
        Assert.True(fit.Alpha.Contains(0.2), $"a = {fit.Alpha}");
    }

    [Fact]
    public void The_frontier_keeps_the_lowest_loss_reached_for_each_compute()
    {
        var frontier = ScalingFit.Frontier([(1e9, 3.0), (2e9, 2.5), (2e9, 2.8), (3e9, 2.6), (4e9, 2.0), (5e9, double.NaN), (6e9, 2.1), (8e9, 1.5)]);
        Assert.Equal([(1e9, 3.0), (2e9, 2.5), (4e9, 2.0), (8e9, 1.5)], frontier);
    }
}
