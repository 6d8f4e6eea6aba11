using System.Globalization;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Optimization;

namespace Dashboard.Web.Analysis;

/// <summary>One run's point for a fit: its x (N, D, C or a parameter), its loss, and the seed it was trained with.</summary>
public readonly record struct ScalingPoint(double X, double Loss, string Seed);

/// <summary>One run's point for the joint fit L(N, D).</summary>
public readonly record struct JointPoint(double N, double D, double Loss, string Seed);

/// <summary>A fitted value and its 95% bootstrap interval.</summary>
public readonly record struct Estimate(double Value, double Low, double High)
{
    public bool Contains(double v) => v >= Low && v <= High;
    public override string ToString() => $"{Fmt(Value)} [{Fmt(Low)}, {Fmt(High)}]";
    public static string Fmt(double v) => v.ToString(Math.Abs(v) is >= 1e4 or < 1e-3 and > 0 ? "0.###e0" : "0.####", CultureInfo.InvariantCulture);
}

/// <summary>L = A·x^(−a) (+ E): the fitted constants with their intervals, how it was bootstrapped, and its residuals.</summary>
public sealed record PowerLawFit(Estimate A, Estimate Alpha, Estimate? E, string Bootstrap, IReadOnlyList<double> Residuals, double Rmse)
{
    public double Predict(double x) => A.Value * Math.Pow(x, -Alpha.Value) + (E?.Value ?? 0);
    public string Formula(string x) =>
        $"L = {Estimate.Fmt(A.Value)}·{x}^(−{Estimate.Fmt(Alpha.Value)})" + (E is { } e ? $" + {Estimate.Fmt(e.Value)}" : "");
}

/// <summary>L = A·N^(−a) + B·D^(−b) (+ E), and what it says about spending compute C ∝ N·D.</summary>
public sealed record JointFit(Estimate A, Estimate Alpha, Estimate B, Estimate Beta, Estimate? E, string Bootstrap, double Rmse)
{
    public double Predict(double n, double d) => A.Value * Math.Pow(n, -Alpha.Value) + B.Value * Math.Pow(d, -Beta.Value) + (E?.Value ?? 0);
    /// <summary>N_opt ∝ C^(b/(a+b)): minimising the law under N·D fixed.</summary>
    public double NExponent => Beta.Value / (Alpha.Value + Beta.Value);
    /// <summary>D_opt ∝ C^(a/(a+b)).</summary>
    public double DExponent => Alpha.Value / (Alpha.Value + Beta.Value);
}

/// <summary>A fit that cannot be made, and why (too few points, a loss not above zero, no spread in x).</summary>
public sealed class FitException(string message) : Exception(message);

/// <summary>
/// Scaling-law fits (notebook 002): power laws in one variable and the joint law in parameters and data, by
/// nonlinear least squares (MathNet's Levenberg-Marquardt) on log L, so that losses an order of magnitude apart weigh
/// alike, as in Hoffmann et al. 2022 (who fit a Huber loss on log L; plain squares here). Intervals are 95% bootstrap
/// intervals over the seeds: each round draws the seeds with replacement and refits on all their runs, so the interval
/// says how much the law moves with the luck of the draw (over the runs when there is one seed). A lab has a handful
/// of seeds, and percentile intervals from G = 5 clusters held the true exponent in only 17 and E in 16 of 20 draws of
/// a known law (nominal 19): the interval is the estimate ± t(G−1, 0.975) bootstrap standard errors instead.
/// </summary>
public static class ScalingFit
{
    public const int DefaultRounds = 200;

    /// <param name="xName">What x is, for the reasons a fit cannot be made ("N has no spread").</param>
    public static PowerLawFit PowerLaw(IReadOnlyList<ScalingPoint> points, bool withOffset, int rounds = DefaultRounds, int seed = 0, string xName = "x")
    {
        Check(points.Select(p => p.Loss), points.Select(p => p.X), xName, withOffset ? 4 : 3);
        var best = FitPower(points, withOffset) ?? throw new FitException("the fit did not converge");
        var samples = Bootstrap(points, p => p.Seed, rounds, seed, sample => FitPower(sample, withOffset), out var how, out var t);
        Estimate Interval(double value, IEnumerable<double> draws) => Widened(value, draws, t);
        Estimate Positive(double log, IEnumerable<double> logDraws) => Exp(Widened(log, logDraws, t));
        var residuals = points.Select(p => Math.Log(p.Loss) - Math.Log(Model(best, p.X))).ToList();
        return new PowerLawFit(
            Positive(best[0], samples.Select(s => s[0])), Interval(best[1], samples.Select(s => s[1])),
            withOffset ? Interval(best[2], samples.Select(s => s[2])) : null, how, residuals,
            Math.Sqrt(residuals.Average(r => r * r)));
    }

    public static JointFit Joint(IReadOnlyList<JointPoint> points, bool withOffset, int rounds = DefaultRounds, int seed = 0)
    {
        Check(points.Select(p => p.Loss), points.Select(p => p.N), "N", 2);
        Check(points.Select(p => p.Loss), points.Select(p => p.D), "D", 2);
        int needed = withOffset ? 6 : 5;
        if (points.Select(p => (p.N, p.D)).Distinct().Count() < needed)
            throw new FitException($"the joint law needs at least {needed} distinct (N, D) pairs; these runs have {points.Select(p => (p.N, p.D)).Distinct().Count()}");
        var best = FitJoint(points, withOffset) ?? throw new FitException("the joint fit did not converge");
        var samples = Bootstrap(points, p => p.Seed, rounds, seed, sample => FitJoint(sample, withOffset), out var how, out var t);
        Estimate Interval(double value, IEnumerable<double> draws) => Widened(value, draws, t);
        Estimate Positive(double log, IEnumerable<double> logDraws) => Exp(Widened(log, logDraws, t));
        double rmse = Math.Sqrt(points.Average(p => Math.Pow(Math.Log(p.Loss) - Math.Log(JointModel(best, p.N, p.D)), 2)));
        return new JointFit(
            Positive(best[0], samples.Select(s => s[0])), Interval(best[1], samples.Select(s => s[1])),
            Positive(best[2], samples.Select(s => s[2])), Interval(best[3], samples.Select(s => s[3])),
            withOffset ? Interval(best[4], samples.Select(s => s[4])) : null, how, rmse);
    }

    /// <summary>
    /// The lowest loss reached for each amount of compute over all the runs' curves (points of (FLOPs, loss) in any
    /// order): the lower envelope, as the points where a new lowest loss is first reached.
    /// </summary>
    public static IReadOnlyList<(double Flops, double Loss)> Frontier(IEnumerable<(double Flops, double Loss)> points)
    {
        var frontier = new List<(double, double)>();
        double lowest = double.PositiveInfinity;
        foreach (var p in points.Where(p => double.IsFinite(p.Loss) && p.Flops > 0).OrderBy(p => p.Flops).ThenBy(p => p.Loss))
            if (p.Loss < lowest) { lowest = p.Loss; frontier.Add(p); }
        return frontier;
    }

    private static void Check(IEnumerable<double> losses, IEnumerable<double> xs, string name, int distinct)
    {
        var l = losses.ToList();
        var x = xs.ToList();
        if (l.Count == 0) throw new FitException("no runs with the target metric to fit");
        if (l.FirstOrDefault(v => !(v > 0) || !double.IsFinite(v)) is var bad && l.Any(v => !(v > 0) || !double.IsFinite(v)))
            throw new FitException($"every loss must be a positive finite number to fit a power law; one is {bad.ToString(CultureInfo.InvariantCulture)}");
        if (x.Any(v => !(v > 0) || !double.IsFinite(v)))
            throw new FitException($"every {name} must be positive; one is {x.First(v => !(v > 0) || !double.IsFinite(v)).ToString(CultureInfo.InvariantCulture)}");
        int n = x.Distinct().Count();
        if (n == 1) throw new FitException($"{name} has no spread: every run has {name} = {x[0].ToString(CultureInfo.InvariantCulture)}");
        if (n < distinct) throw new FitException($"the fit needs at least {distinct} distinct values of {name}; these runs have {n}");
    }

    // p = [log A, a, E]; the model in L, the residuals in log L.
    private static double Model(double[] p, double x) => Math.Exp(p[0]) * Math.Pow(x, -p[1]) + (p.Length > 2 ? p[2] : 0);
    private static double JointModel(double[] p, double n, double d) =>
        Math.Exp(p[0]) * Math.Pow(n, -p[1]) + Math.Exp(p[2]) * Math.Pow(d, -p[3]) + (p.Length > 4 ? p[4] : 0);

    private static double[]? FitPower(IReadOnlyList<ScalingPoint> points, bool withOffset)
    {
        if (points.Select(p => p.X).Distinct().Count() < (withOffset ? 3 : 2)) return null;
        double minLoss = points.Min(p => p.Loss);
        // Starting points: the straight line in log-log space with E = 0, and for the offset law E at fractions of the
        // lowest loss; the best of the refined ones is kept (the offset law has local minima).
        var starts = new List<double[]>();
        var (logA, alpha) = LogLogLine(points.Select(p => (p.X, p.Loss)));
        if (!withOffset) starts.Add([logA, alpha]);
        else foreach (var f in new[] { 0.0, 0.5, 0.8, 0.95 })
            {
                double e = f * minLoss;
                var (la, al) = LogLogLine(points.Select(p => (p.X, p.Loss - e)));
                starts.Add([la, al, e]);
            }
        var x = Vector<double>.Build.Dense(points.Select(p => p.X).ToArray());
        var y = Vector<double>.Build.Dense(points.Select(p => Math.Log(p.Loss)).ToArray());
        double[]? best = null;
        double bestCost = double.PositiveInfinity;
        foreach (var start in starts)
        {
            var model = ObjectiveFunction.NonlinearModel(
                (p, xs) => Vector<double>.Build.Dense(xs.Count, i => Math.Log(Math.Max(Model(p.ToArray(), xs[i]), 1e-300))),
                x, y, accuracyOrder: 2);
            var lower = Vector<double>.Build.Dense(withOffset ? [-50, -5, 0] : [-50, -5]);
            var upper = Vector<double>.Build.Dense(withOffset ? [50, 10, minLoss * 0.999] : [50, 10]);
            if (Refine(model, start, lower, upper) is not { } p) continue;
            double cost = points.Sum(q => Math.Pow(Math.Log(q.Loss) - Math.Log(Math.Max(Model(p, q.X), 1e-300)), 2));
            if (cost < bestCost) (best, bestCost) = (p, cost);
        }
        return best;
    }

    private static double[]? FitJoint(IReadOnlyList<JointPoint> points, bool withOffset)
    {
        if (points.Select(p => p.N).Distinct().Count() < 2 || points.Select(p => p.D).Distinct().Count() < 2) return null;
        double minLoss = points.Min(p => p.Loss);
        // The index of each point stands for its (N, D): MathNet's model takes one x per observation.
        var index = Vector<double>.Build.Dense(points.Count, i => i);
        var y = Vector<double>.Build.Dense(points.Select(p => Math.Log(p.Loss)).ToArray());
        var (laN, aN) = LogLogLine(points.Select(p => (p.N, p.Loss)));
        var (laD, aD) = LogLogLine(points.Select(p => (p.D, p.Loss)));
        double[]? best = null;
        double bestCost = double.PositiveInfinity;
        foreach (var f in withOffset ? new[] { 0.0, 0.5, 0.8 } : [0.0])
            foreach (var share in new[] { 0.5, 0.2, 0.8 })
            {
                double[] start = withOffset
                    ? [laN + Math.Log(share), Math.Max(aN, 0.05), laD + Math.Log(1 - share), Math.Max(aD, 0.05), f * minLoss]
                    : [laN + Math.Log(share), Math.Max(aN, 0.05), laD + Math.Log(1 - share), Math.Max(aD, 0.05)];
                var model = ObjectiveFunction.NonlinearModel(
                    (p, xs) => Vector<double>.Build.Dense(xs.Count, i =>
                    {
                        var q = points[(int)xs[i]];
                        return Math.Log(Math.Max(JointModel(p.ToArray(), q.N, q.D), 1e-300));
                    }),
                    index, y, accuracyOrder: 2);
                var lower = Vector<double>.Build.Dense(withOffset ? [-50, 0, -50, 0, 0] : [-50, 0, -50, 0]);
                var upper = Vector<double>.Build.Dense(withOffset ? [50, 5, 50, 5, minLoss * 0.999] : [50, 5, 50, 5]);
                if (Refine(model, start, lower, upper) is not { } p) continue;
                double cost = points.Sum(q => Math.Pow(Math.Log(q.Loss) - Math.Log(Math.Max(JointModel(p, q.N, q.D), 1e-300)), 2));
                if (cost < bestCost) (best, bestCost) = (p, cost);
            }
        return best;
    }

    private static double[]? Refine(IObjectiveModel model, double[] start, Vector<double> lower, Vector<double> upper)
    {
        var guess = Vector<double>.Build.Dense(start.Select((v, i) => Math.Clamp(v, lower[i] + 1e-9, upper[i] - 1e-9)).ToArray());
        try
        {
            var result = new LevenbergMarquardtMinimizer(maximumIterations: 500).FindMinimum(model, guess, lower, upper);
            var p = result.MinimizingPoint.ToArray();
            return p.All(double.IsFinite) ? p : null;
        }
        catch (Exception e) when (e is MaximumIterationsException or ArgumentException or InvalidOperationException) { return null; }
    }

    /// <summary>The least-squares line log L = log A − a·log x (points with L ≤ 0 left out).</summary>
    private static (double LogA, double Alpha) LogLogLine(IEnumerable<(double X, double L)> points)
    {
        var p = points.Where(q => q.L > 0 && q.X > 0).Select(q => (X: Math.Log(q.X), Y: Math.Log(q.L))).ToList();
        if (p.Count < 2) return (0, 0.1);
        double mx = p.Average(q => q.X), my = p.Average(q => q.Y);
        double sxx = p.Sum(q => (q.X - mx) * (q.X - mx));
        double slope = sxx == 0 ? 0 : p.Sum(q => (q.X - mx) * (q.Y - my)) / sxx;
        return (my - slope * mx, -slope);
    }

    private static List<double[]> Bootstrap<T>(IReadOnlyList<T> points, Func<T, string> seedOf, int rounds, int seed,
        Func<IReadOnlyList<T>, double[]?> fit, out string how, out double t)
    {
        var groups = points.GroupBy(seedOf).Select(g => g.ToList()).ToList();
        bool bySeed = groups.Count > 1;
        // Student's t with one degree of freedom fewer than the resampled units: wide for 3 seeds, z for many.
        t = MathNet.Numerics.Distributions.StudentT.InvCDF(0, 1, Math.Max((bySeed ? groups.Count : points.Count) - 1, 1), 0.975);
        how = bySeed ? $"95% intervals: bootstrap over {groups.Count} seeds, {rounds} rounds"
            : $"95% intervals: bootstrap over the {points.Count} runs ({rounds} rounds; one seed, so not over seeds)";
        if (!bySeed) groups = [.. points.Select(p => new List<T> { p })];
        var random = new Random(seed);
        var samples = new List<double[]>();
        for (int r = 0; r < rounds; r++)
        {
            var sample = new List<T>();
            for (int i = 0; i < groups.Count; i++) sample.AddRange(groups[random.Next(groups.Count)]);
            if (fit(sample) is { } p) samples.Add(p);
        }
        return samples;
    }

    /// <summary>A positive constant's interval, made on its log (where the fit works) and turned back: never below zero.</summary>
    private static Estimate Exp(Estimate log) => new(Math.Exp(log.Value), Math.Exp(log.Low), Math.Exp(log.High));

    /// <param name="t">The t quantile the standard error is multiplied by.</param>
    private static Estimate Widened(double value, IEnumerable<double> samples, double t)
    {
        var draws = samples.Where(double.IsFinite).ToArray();
        if (draws.Length < 10) return new Estimate(value, double.NaN, double.NaN);
        double mean = draws.Average();
        double se = Math.Sqrt(draws.Sum(d => (d - mean) * (d - mean)) / (draws.Length - 1));
        return new Estimate(value, value - t * se, value + t * se);
    }
}
