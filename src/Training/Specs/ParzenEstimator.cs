namespace Dashboard.Training.Specs;

/// <summary>
/// TPE's density of one numeric parameter over a group of trials (Bergstra et al. 2011, section 4): a mixture of
/// Gaussians, one per observation plus one prior component over the whole range, each truncated to the range.
/// Bandwidths as hyperopt's adaptive Parzen estimator (the authors' implementation): an observation's sigma is the
/// larger distance to its sorted neighbours, clipped to [range / min(100, 1 + m), range] for m components, so that a
/// few far-apart observations make a broad density and many close ones a sharp one; the prior's sigma is the range.
/// All components weigh the same (hyperopt's linear forgetting of old trials only starts after 25 and is left out).
/// Works on the parameter's internal axis: the logarithm for log-uniform parameters, so that a learning rate's
/// density is smooth over decades.
/// </summary>
internal sealed class ParzenEstimator
{
    private static readonly double LogSqrt2Pi = 0.5 * Math.Log(2 * Math.PI);
    private readonly double _low, _high;
    private readonly double[] _mu, _sigma, _logNorm;

    public ParzenEstimator(IReadOnlyList<double> observations, double low, double high)
    {
        _low = low;
        _high = high;
        double priorMu = 0.5 * (low + high), priorSigma = high - low;
        var sorted = observations.Order().ToList();
        int priorAt = sorted.FindIndex(x => x >= priorMu);
        if (priorAt < 0) priorAt = sorted.Count;
        sorted.Insert(priorAt, priorMu);
        int m = sorted.Count;
        _mu = [.. sorted];
        _sigma = new double[m];
        double minSigma = priorSigma / Math.Min(100.0, 1.0 + m);
        for (int i = 0; i < m; i++)
        {
            double left = i > 0 ? sorted[i] - sorted[i - 1] : 0, right = i < m - 1 ? sorted[i + 1] - sorted[i] : 0;
            _sigma[i] = Math.Clamp(Math.Max(left, right), minSigma, priorSigma);
        }
        _sigma[priorAt] = priorSigma;
        // log(weight) - log(sigma) - log(mass of the component inside the range); the mass is at least Phi(1) - Phi(0)
        // (a centre inside the range, sigma at most its width), so this never divides by a vanishing number.
        _logNorm = new double[m];
        for (int i = 0; i < m; i++)
        {
            double mass = Phi((high - _mu[i]) / _sigma[i]) - Phi((low - _mu[i]) / _sigma[i]);
            _logNorm[i] = -Math.Log(m) - Math.Log(_sigma[i]) - Math.Log(mass) - LogSqrt2Pi;
        }
    }

    public double LogDensity(double x)
    {
        // Log-sum-exp: far from every component the plain sum underflows to 0 for both l and g.
        double max = double.NegativeInfinity;
        Span<double> terms = _mu.Length <= 256 ? stackalloc double[_mu.Length] : new double[_mu.Length];
        for (int i = 0; i < _mu.Length; i++)
        {
            double z = (x - _mu[i]) / _sigma[i];
            terms[i] = _logNorm[i] - 0.5 * z * z;
            max = Math.Max(max, terms[i]);
        }
        double sum = 0;
        foreach (var t in terms) sum += Math.Exp(t - max);
        return max + Math.Log(sum);
    }

    public double Sample(SeededStream rng)
    {
        int i = rng.Next(_mu.Length);
        // Rejection: at least a third of a component's mass lies inside the range (above), so this rarely loops.
        for (int attempt = 0; attempt < 64; attempt++)
        {
            double x = _mu[i] + _sigma[i] * rng.NextGaussian();
            if (x >= _low && x <= _high) return x;
        }
        return Math.Clamp(_mu[i], _low, _high);
    }

    /// <summary>The standard normal's distribution function.</summary>
    internal static double Phi(double z) => 0.5 * Erfc(-z / Math.Sqrt(2));

    /// <summary>Complementary error function, relative error below 1.2e-7 (Numerical Recipes' Chebyshev fit); .NET has none.</summary>
    internal static double Erfc(double x)
    {
        double z = Math.Abs(x), t = 1.0 / (1.0 + 0.5 * z);
        double r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
            + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2.0 - r;
    }
}
