namespace Dashboard.Training.Datasets;

/// <summary>
/// The runtime-scaling study's synthetic data: each class is a (d-1)-sphere in its own random d-dimensional
/// subspace of R^p around its own random centre, with Gaussian noise in all p dimensions. Same seed, same data.
/// </summary>
public static class Hyperspheres
{
    public static TrainingData Generate(int n, int p, int d, int classes, double noise, double valFraction, long seed)
    {
        var rng = new Random(unchecked((int)(seed ^ (seed >> 32)) * 31 + 17));
        var centres = new double[classes][];
        var bases = new double[classes][][];
        for (int c = 0; c < classes; c++)
        {
            // Centres a radius apart on average, so classes overlap a little once noise is added.
            centres[c] = Enumerable.Range(0, p).Select(_ => Gaussian(rng) * 1.5 / Math.Sqrt(p) * Math.Sqrt(2)).ToArray();
            bases[c] = OrthonormalBasis(rng, p, d);
        }

        var x = new float[(long)n * p];
        var y = new long[n];
        var point = new double[d];
        for (int i = 0; i < n; i++)
        {
            int c = i % classes;
            y[i] = c;
            double norm = 0;
            for (int k = 0; k < d; k++) { point[k] = Gaussian(rng); norm += point[k] * point[k]; }
            norm = Math.Sqrt(norm);
            if (norm == 0) norm = 1;
            var row = x.AsSpan((int)((long)i * p), p);
            for (int j = 0; j < p; j++)
            {
                double v = centres[c][j] + noise * Gaussian(rng);
                for (int k = 0; k < d; k++) v += bases[c][k][j] * point[k] / norm;
                row[j] = (float)v;
            }
        }
        return Split(x, y, p, classes, valFraction, rng);
    }

    private static TrainingData Split(float[] x, long[] y, int p, int classes, double valFraction, Random rng)
    {
        int n = y.Length;
        var order = Enumerable.Range(0, n).ToArray();
        rng.Shuffle(order);
        int nVal = Math.Clamp((int)Math.Round(n * valFraction), 1, n - 1);
        TensorData Take(ReadOnlySpan<int> idx)
        {
            var xs = new float[(long)idx.Length * p];
            var ys = new long[idx.Length];
            for (int i = 0; i < idx.Length; i++)
            {
                x.AsSpan(idx[i] * p, p).CopyTo(xs.AsSpan(i * p, p));
                ys[i] = y[idx[i]];
            }
            return new TensorData(xs, [idx.Length, p], ys);
        }
        return new TrainingData(Take(order.AsSpan(nVal)), Take(order.AsSpan(0, nVal)), classes);
    }

    private static double[][] OrthonormalBasis(Random rng, int p, int d)
    {
        var basis = new double[d][];
        for (int k = 0; k < d; k++)
        {
            var v = Enumerable.Range(0, p).Select(_ => Gaussian(rng)).ToArray();
            for (int prev = 0; prev < k; prev++)
            {
                double dot = 0;
                for (int j = 0; j < p; j++) dot += v[j] * basis[prev][j];
                for (int j = 0; j < p; j++) v[j] -= dot * basis[prev][j];
            }
            double norm = Math.Sqrt(v.Sum(a => a * a));
            for (int j = 0; j < p; j++) v[j] /= norm;
            basis[k] = v;
        }
        return basis;
    }

    private static double Gaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
