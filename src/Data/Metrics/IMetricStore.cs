namespace Dashboard.Data.Metrics;

/// <summary>Appends a batch of metric points in one round trip: COPY on PostgreSQL, one transaction on SQLite.</summary>
public interface IMetricStore
{
    Task AppendAsync(IReadOnlyList<MetricPoint> points, CancellationToken ct);

    /// <summary>
    /// The same, but the points of a run in <paramref name="fences"/> (run → attempt) only while that attempt is
    /// open, checked in the same transaction: a host that was taken for dead and comes back does not write into the
    /// history of the host that took its run over. Returns the number of points left out.
    /// </summary>
    Task<int> AppendAsync(IReadOnlyList<MetricPoint> points, IReadOnlyDictionary<long, long>? fences, CancellationToken ct);
}

/// <summary>The fence check's two halves, for both stores.</summary>
internal static class Fences
{
    /// <summary>The attempts that fence runs of this batch; none when nothing is to be checked.</summary>
    public static long[] AttemptsIn(IReadOnlyList<MetricPoint> points, IReadOnlyDictionary<long, long>? fences) =>
        fences is null or { Count: 0 } ? [] : [.. points.Select(p => p.RunId).Distinct().Where(fences.ContainsKey).Select(r => fences[r])];

    /// <summary>
    /// The points of unfenced runs and of runs whose attempt is still open; <paramref name="openAttempts"/> is the
    /// store's query for which of <see cref="AttemptsIn"/> are open, in the batch's transaction.
    /// </summary>
    public static async Task<IReadOnlyList<MetricPoint>> KeepAsync(IReadOnlyList<MetricPoint> points, IReadOnlyDictionary<long, long> fences,
        System.Data.Common.DbCommand openAttempts, CancellationToken ct)
    {
        var open = new HashSet<long>();
        await using (var reader = await openAttempts.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) open.Add(reader.GetInt64(0));
        var kept = points.Where(p => !fences.TryGetValue(p.RunId, out var attempt) || open.Contains(attempt)).ToList();
        return kept.Count == points.Count ? points : kept;
    }
}
