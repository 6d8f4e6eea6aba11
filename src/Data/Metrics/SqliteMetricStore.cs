using Microsoft.Data.Sqlite;

namespace Dashboard.Data.Metrics;

public sealed class SqliteMetricStore(StorageOptions storage) : IMetricStore
{
    public async Task AppendAsync(IReadOnlyList<MetricPoint> points, CancellationToken ct)
    {
        await using var conn = new SqliteConnection(storage.ResolvedConnectionString);
        await conn.OpenAsync(ct);
        await using var tx = (SqliteTransaction)await conn.BeginTransactionAsync(ct);
        await using var cmd = conn.CreateCommand();
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
        await tx.CommitAsync(ct);
    }
}
