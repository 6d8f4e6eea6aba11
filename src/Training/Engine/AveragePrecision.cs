namespace Dashboard.Training.Engine;

/// <summary>
/// Average precision as scikit-learn's average_precision_score defines it (no interpolation): per class, one
/// against the rest, the samples ranked by score, AP = sum over thresholds of (R_n - R_{n-1}) * P_n, where the
/// thresholds are the distinct scores (tied scores enter together, as in precision_recall_curve).
/// </summary>
public static class AveragePrecision
{
    /// <summary>
    /// The mean of the per-class APs over the classes with at least one positive; NaN when no class has one or when
    /// a score is NaN. <paramref name="scores"/> is row-major [N, classes]. (scikit-learn warns about a class with no
    /// positives and, in recent versions, counts it as 0 in the macro mean; here it is left out.)
    /// </summary>
    public static double Macro(float[] scores, long[] labels, int classes) => Macro(scores, labels, classes, new Workspace(labels.Length));

    /// <summary>As above, sorting in <paramref name="workspace"/>: a run scores every epoch, and without it each
    /// epoch leaves two arrays the size of the validation set for a collector that may not run for hours.</summary>
    public static double Macro(float[] scores, long[] labels, int classes, Workspace workspace)
    {
        var ap = PerClass(scores, labels, classes, workspace);
        double sum = 0;
        int counted = 0;
        foreach (var a in ap)
        {
            if (double.IsNaN(a)) continue;
            sum += a;
            counted++;
        }
        return counted == 0 ? double.NaN : sum / counted;
    }

    /// <summary>The AP of each class; NaN for a class with no positive (or, for every class, when a score is NaN). O(N log N) per class.</summary>
    public static double[] PerClass(float[] scores, long[] labels, int classes) => PerClass(scores, labels, classes, new Workspace(labels.Length));

    private static double[] PerClass(float[] scores, long[] labels, int classes, Workspace workspace)
    {
        if (classes <= 0) throw new ArgumentOutOfRangeException(nameof(classes), classes, "classes must be positive");
        int n = labels.Length;
        if (scores.Length != (long)n * classes)
            throw new ArgumentException($"{scores.Length} scores do not make {n} rows of {classes} classes", nameof(scores));
        var positives = new int[classes];
        for (int i = 0; i < n; i++)
        {
            if (labels[i] < 0 || labels[i] >= classes)
                throw new ArgumentException($"sample {i} has label {labels[i]}, outside 0..{classes - 1}", nameof(labels));
            positives[labels[i]]++;
        }

        var result = new double[classes];
        if (Array.Exists(scores, float.IsNaN)) { Array.Fill(result, double.NaN); return result; }
        if (workspace.Keys.Length != n) throw new ArgumentException($"a workspace for {workspace.Keys.Length} samples, not {n}", nameof(workspace));
        var keys = workspace.Keys;
        var isPositive = workspace.IsPositive;
        for (int c = 0; c < classes; c++)
        {
            if (positives[c] == 0) { result[c] = double.NaN; continue; }
            for (int i = 0; i < n; i++)
            {
                keys[i] = scores[(long)i * classes + c];
                isPositive[i] = labels[i] == c;
            }
            Array.Sort(keys, isPositive); // ascending; walked from the end for descending scores
            result[c] = Binary(keys, isPositive, positives[c]);
        }
        return result;
    }

    /// <summary>Sorting space for one set of samples, reused from call to call.</summary>
    public sealed class Workspace(int samples)
    {
        internal float[] Keys { get; } = new float[samples];
        internal bool[] IsPositive { get; } = new bool[samples];
    }

    // keys sorted ascending, isPositive permuted with them; totalPositives > 0.
    private static double Binary(float[] keys, bool[] isPositive, int totalPositives)
    {
        long tp = 0, seen = 0;
        double ap = 0, previousRecall = 0;
        int i = keys.Length - 1;
        while (i >= 0)
        {
            float threshold = keys[i];
            // Every sample scoring this threshold enters at once.
            for (; i >= 0 && keys[i] == threshold; i--)
            {
                seen++;
                if (isPositive[i]) tp++;
            }
            double recall = (double)tp / totalPositives;
            if (recall > previousRecall)
            {
                ap += (recall - previousRecall) * ((double)tp / seen);
                previousRecall = recall;
            }
            if (tp == totalPositives) break; // later thresholds add no recall
        }
        return ap;
    }
}
