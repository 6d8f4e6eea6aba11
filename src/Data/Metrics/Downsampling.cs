namespace Dashboard.Data.Metrics;

/// <summary>
/// Min/max downsampling of a metric series for charts: the series is cut into buckets of equal point counts and
/// each bucket keeps its lowest and highest point, in step order; the first and the last point are always kept.
/// So every spike survives and the curve ends where the run is, which averaging or every-nth-point would not give.
/// </summary>
public static class Downsampling
{
    /// <param name="points">(step, value) in step order.</param>
    /// <param name="target">At most this many points come back (at least 4).</param>
    public static List<(long Step, double Value)> MinMax(IReadOnlyList<(long Step, double Value)> points, int target)
    {
        if (target < 4) throw new ArgumentOutOfRangeException(nameof(target), target, "at least 4 points");
        if (points.Count <= target) return [.. points];
        // The first and last points go in on their own; each bucket in between gives two.
        int buckets = (target - 2) / 2;
        var kept = new List<(long, double)>(target) { points[0] };
        int inner = points.Count - 2;
        for (int b = 0; b < buckets; b++)
        {
            int from = 1 + (int)((long)inner * b / buckets), to = 1 + (int)((long)inner * (b + 1) / buckets);
            if (from >= to) continue;
            int lo = from, hi = from;
            for (int i = from + 1; i < to; i++)
            {
                if (points[i].Value < points[lo].Value) lo = i;
                if (points[i].Value > points[hi].Value) hi = i;
            }
            kept.Add(points[Math.Min(lo, hi)]);
            if (lo != hi) kept.Add(points[Math.Max(lo, hi)]);
        }
        kept.Add(points[^1]);
        return kept;
    }
}
