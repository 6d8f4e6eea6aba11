using Microsoft.Data.Sqlite;

namespace Dashboard.Data.Metrics;

/// <summary>Points and their summaries in one transaction of prepared inserts.</summary>
public sealed class SqliteMetricStore(StorageOptions storage) : IMetricStore
{
    public Task AppendAsync(IReadOnlyList<MetricPoint> points, CancellationToken ct) => AppendAsync(points, null, ct);

    public async Task<int> AppendAsync(IReadOnlyList<MetricPoint> all, IReadOnlyDictionary<long, long>? fences, CancellationToken ct)
    {
        await using var conn = new SqliteConnection(storage.ResolvedConnectionString);
        await conn.OpenAsync(ct);
        // Deferred is enough: the one file has one writer at a time, and a takeover's claim is a write.
        await using var tx = (SqliteTransaction)await conn.BeginTransactionAsync(ct);
        var points = all;
        var attempts = Fences.AttemptsIn(all, fences);
        if (attempts.Length > 0)
        {
            await using var check = conn.CreateCommand();
            check.Transaction = tx;
            check.CommandText = $"SELECT id FROM run_attempts WHERE ended_at IS NULL AND id IN ({string.Join(",", attempts)})";
            points = await Fences.KeepAsync(all, fences!, check, ct);
        }
        await using (var cmd = conn.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = "INSERT INTO metric_points (run_id, key, step, value, time) VALUES ($r, $k, $s, $v, $t)";
            var r = cmd.Parameters.Add("$r", SqliteType.Integer);
            var k = cmd.Parameters.Add("$k", SqliteType.Text);
            var s = cmd.Parameters.Add("$s", SqliteType.Integer);
            var v = cmd.Parameters.Add("$v", SqliteType.Real);
            var t = cmd.Parameters.Add("$t", SqliteType.Text);
            foreach (var p in points)
            {
                r.Value = p.RunId;
                k.Value = p.Key;
                s.Value = p.Step;
                // SQLite stores NaN as NULL; the trainer never logs a non-finite value (it stops the run instead).
                v.Value = p.Value;
                // The same text format EF uses for DateTime on SQLite, so EF reads these points back.
                t.Value = p.Time.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF");
                await cmd.ExecuteNonQueryAsync(ct);
            }
        }
        await using (var cmd = conn.CreateCommand())
        {
            cmd.Transaction = tx;
            // SET expressions read the row as it was; min/max with two arguments are SQLite's scalar functions.
            cmd.CommandText = """
                INSERT INTO metric_summaries (run_id, key, last_step, last_value, min_value, max_value)
                VALUES ($r, $k, $s, $l, $lo, $hi)
                ON CONFLICT (run_id, key) DO UPDATE SET
                  last_step = max(last_step, excluded.last_step),
                  last_value = CASE WHEN excluded.last_step >= last_step THEN excluded.last_value ELSE last_value END,
                  min_value = min(min_value, excluded.min_value),
                  max_value = max(max_value, excluded.max_value)
                """;
            var r = cmd.Parameters.Add("$r", SqliteType.Integer);
            var k = cmd.Parameters.Add("$k", SqliteType.Text);
            var s = cmd.Parameters.Add("$s", SqliteType.Integer);
            var l = cmd.Parameters.Add("$l", SqliteType.Real);
            var lo = cmd.Parameters.Add("$lo", SqliteType.Real);
            var hi = cmd.Parameters.Add("$hi", SqliteType.Real);
            foreach (var m in MetricSummarySql.Of(points))
            {
                (r.Value, k.Value, s.Value, l.Value, lo.Value, hi.Value) = (m.RunId, m.Key, m.LastStep, m.LastValue, m.MinValue, m.MaxValue);
                await cmd.ExecuteNonQueryAsync(ct);
            }
        }
        await tx.CommitAsync(ct);
        return all.Count - points.Count;
    }
}
