namespace Dashboard.Data.Metrics;

/// <summary>
/// Mean and spread of several runs' curves (say, one configuration over several seeds), for a mean ± std band. The
/// runs are logged at different x (another batch size, another speed, a run that stopped early), so each is read at
/// the points of one common grid by linear interpolation, never extrapolated. The band spans only the x range every run
/// covers: where a run starts late or ends early, a mean over the runs still there would jump by that run's offset
/// and read as a change of the curve.
/// </summary>
public static class SeriesBands
{
    /// <summary>The band on its grid: at each x the mean, the sample standard deviation (n - 1; 0 for a single run) and
    /// how many runs it is of (all of them). Empty when the runs' x ranges do not overlap.</summary>
    public sealed record Band(double[] X, double[] Mean, double[] Std, int[] N);

    /// <param name="runs">Each run's curve: x and y of the same length, best in x order (ties allowed).</param>
    /// <param name="points">About how many grid points span the runs' x range (at least 2).</param>
    public static Band Of(IReadOnlyList<(double[] X, double[] Y)> runs, int points)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(points, 2);
        var curves = runs.Select(Prepare).Where(c => c.X.Length > 0).ToList();
        if (curves.Count == 0) return new([], [], [], []);
        double lo = curves.Max(c => c.X[0]), hi = curves.Min(c => c.X[^1]);
        if (lo > hi) return new([], [], [], []);
        int size = hi > lo ? points : 1;
        var grid = new double[size];
        for (int g = 0; g < size; g++) grid[g] = g == size - 1 ? hi : lo + (hi - lo) * g / (size - 1);

        // Welford's running mean and sum of squared deviations: no cancellation when the spread is tiny next to the mean.
        var mean = new double[size];
        var m2 = new double[size];
        var n = new int[size];
        foreach (var (x, y) in curves)
        {
            int j = 0;  // the first point of the curve at or after the grid x
            for (int g = 0; g < size; g++)
            {
                double gx = grid[g];
                if (gx < x[0] || gx > x[^1]) continue;
                while (x[j] < gx) j++;
                double v;
                if (x[j] == gx)
                {
                    // Ties (a flat stretch of the axis): the last point at that x, as a line drawn through them ends there.
                    while (j + 1 < x.Length && x[j + 1] == gx) j++;
                    v = y[j];
                }
                else v = y[j - 1] + (y[j] - y[j - 1]) * (gx - x[j - 1]) / (x[j] - x[j - 1]);
                n[g]++;
                double delta = v - mean[g];
                mean[g] += delta / n[g];
                m2[g] += delta * (v - mean[g]);
            }
        }

        var keep = Enumerable.Range(0, size).Where(g => n[g] > 0).ToArray();
        return new(
            [.. keep.Select(g => grid[g])],
            [.. keep.Select(g => mean[g])],
            [.. keep.Select(g => n[g] > 1 ? Math.Sqrt(Math.Max(m2[g], 0) / (n[g] - 1)) : 0)],
            [.. keep.Select(g => n[g])]);
    }

    // Points an axis could not place (NaN x) are left out; a curve whose x goes back (times of a run whose host's
    // clock was set back) is put in x order, as a line drawn through it would be read.
    private static (double[] X, double[] Y) Prepare((double[] X, double[] Y) c)
    {
        if (c.X.Length != c.Y.Length) throw new ArgumentException("x and y differ in length");
        bool finite = c.X.All(double.IsFinite) && c.Y.All(double.IsFinite);
        bool ordered = true;
        for (int i = 1; i < c.X.Length && ordered; i++) ordered = c.X[i - 1] <= c.X[i];
        if (finite && ordered) return c;
        var keep = Enumerable.Range(0, c.X.Length).Where(i => double.IsFinite(c.X[i]) && double.IsFinite(c.Y[i])).OrderBy(i => c.X[i]).ToArray();
        return ([.. keep.Select(i => c.X[i])], [.. keep.Select(i => c.Y[i])]);
    }
}
