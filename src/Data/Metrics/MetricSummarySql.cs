using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data.Metrics;

/// <summary>How metric_summaries follows metric_points: folded in batch by batch, rebuilt when points are deleted.</summary>
public static class MetricSummarySql
{
    // Plain SQL that reads the same on SQLite and PostgreSQL: the last value is the one at the highest step.
    private const string Rebuild = """
        INSERT INTO metric_summaries (run_id, key, last_step, last_value, min_value, max_value)
        SELECT p.run_id, p.key, p.step, p.value, g.min_value, g.max_value
        FROM metric_points p
        JOIN (SELECT run_id, key, MAX(step) AS last_step, MIN(value) AS min_value, MAX(value) AS max_value
              FROM metric_points {0} GROUP BY run_id, key) g
          ON p.run_id = g.run_id AND p.key = g.key AND p.step = g.last_step
        """;

    public static readonly string RebuildAll = string.Format(Rebuild, "");

    /// <summary>After a run's points were deleted (a restart from a checkpoint), its summaries from what is left.</summary>
    public static async Task RebuildRunAsync(DashboardDb db, long runId, CancellationToken ct)
    {
        await db.MetricSummaries.Where(s => s.RunId == runId).ExecuteDeleteAsync(ct);
        await db.Database.ExecuteSqlRawAsync(string.Format(Rebuild, "WHERE run_id = {0}"), [runId], ct);
    }

    /// <summary>One summary per (run, key) of a batch, to be folded into the stored ones.</summary>
    public static List<MetricSummary> Of(IReadOnlyList<MetricPoint> points)
    {
        var byKey = new Dictionary<(long, string), MetricSummary>();
        foreach (var p in points)
        {
            if (!byKey.TryGetValue((p.RunId, p.Key), out var s))
            {
                byKey[(p.RunId, p.Key)] = new MetricSummary
                {
                    RunId = p.RunId, Key = p.Key, LastStep = p.Step, LastValue = p.Value, MinValue = p.Value, MaxValue = p.Value,
                };
                continue;
            }
            if (p.Step >= s.LastStep) { s.LastStep = p.Step; s.LastValue = p.Value; }
            s.MinValue = Math.Min(s.MinValue, p.Value);
            s.MaxValue = Math.Max(s.MaxValue, p.Value);
        }
        return [.. byKey.Values];
    }
}
