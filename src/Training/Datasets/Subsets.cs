namespace Dashboard.Training.Datasets;

/// <summary>Seeded subsets of a data set, for data-scaling studies.</summary>
public static class Subsets
{
    /// <summary>
    /// A class-stratified subset of exactly <paramref name="size"/> samples. Each class gets a share proportional to
    /// its frequency, rounded by largest remainder (ties to the lower class index) so that the shares sum to
    /// <paramref name="size"/>; within a class the samples are picked by a shuffle seeded with <paramref name="seed"/>
    /// (the same seed gives the same subset). The chosen samples keep their original order.
    /// A size of at least the data's count returns <paramref name="data"/> itself.
    /// </summary>
    public static TensorData Stratified(TensorData data, int size, int classes, long seed)
    {
        if (classes <= 0) throw new ArgumentOutOfRangeException(nameof(classes), classes, "classes must be positive");
        if (size >= data.Count) return data;
        if (size < classes)
            throw new ArgumentException(
                $"a stratified subset of {size} samples cannot hold {classes} classes: size must be at least the number of classes",
                nameof(size));

        long n = data.Count;
        var counts = new long[classes];
        for (long i = 0; i < n; i++)
        {
            long label = data.Labels[i];
            if (label < 0 || label >= classes)
                throw new ArgumentException($"sample {i} has label {label}, outside 0..{classes - 1}", nameof(data));
            counts[label]++;
        }

        var quota = Quotas(counts, size, n);

        // One generator for all classes, in class order: the subset depends on the seed alone.
        var rng = new Random(Mix(seed));
        var byClass = new List<long>[classes];
        for (int c = 0; c < classes; c++) byClass[c] = new List<long>((int)counts[c]);
        for (long i = 0; i < n; i++) byClass[data.Labels[i]].Add(i);

        var chosen = new bool[n];
        for (int c = 0; c < classes; c++)
        {
            var members = byClass[c];
            // Partial Fisher-Yates: the first quota[c] places get a uniform random selection.
            for (int k = 0; k < quota[c]; k++)
            {
                int j = rng.Next(k, members.Count);
                (members[k], members[j]) = (members[j], members[k]);
                chosen[members[k]] = true;
            }
        }

        long features = data.Features;
        var x = new float[size * features];
        var y = new long[size];
        long at = 0;
        for (long i = 0; i < n; i++)
        {
            if (!chosen[i]) continue;
            Array.Copy(data.Inputs, i * features, x, at * features, features);
            y[at++] = data.Labels[i];
        }
        var shape = (long[])data.Shape.Clone();
        shape[0] = size;
        return new TensorData(x, shape, y);
    }

    // A 64-bit seed to System.Random's 32: SplitMix64's finaliser, so that seeds differing only in the high bits differ too.
    private static int Mix(long seed)
    {
        unchecked
        {
            ulong z = (ulong)seed + 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return (int)(z ^ (z >> 31));
        }
    }

    /// <summary>Largest-remainder apportionment of <paramref name="size"/> over the class counts (which sum to <paramref name="n"/>).</summary>
    internal static long[] Quotas(long[] counts, long size, long n)
    {
        var quota = new long[counts.Length];
        var remainder = new long[counts.Length];
        long given = 0;
        for (int c = 0; c < counts.Length; c++)
        {
            quota[c] = Math.DivRem(size * counts[c], n, out remainder[c]);
            given += quota[c];
        }
        var order = Enumerable.Range(0, counts.Length)
            .OrderByDescending(c => remainder[c]).ThenBy(c => c).ToArray();
        // The shortfall is less than the number of classes with a non-zero remainder, and such a class has
        // quota < count, so each extra sample is there to take.
        for (int k = 0; given < size; k++, given++) quota[order[k]]++;
        return quota;
    }
}
