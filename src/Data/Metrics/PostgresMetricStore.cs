using Npgsql;
using NpgsqlTypes;

namespace Dashboard.Data.Metrics;

/// <summary>Points by binary COPY and their summaries by one upsert, in one transaction.</summary>
public sealed class PostgresMetricStore(StorageOptions storage) : IMetricStore
{
    private readonly NpgsqlDataSource _source = NpgsqlDataSource.Create(Bounded(storage.ResolvedConnectionString));

    // A batch holds the run's summary rows until it commits, and a host taking the run over waits for them. A writer
    // that stops in the middle of one (its process paused, its network cut) must not hold them for long: the server
    // ends such a batch after 30 s, and the writer sends it again (DatabaseFaults) once it can.
    private static string Bounded(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        builder.Options = $"{builder.Options} -c statement_timeout=30s -c idle_in_transaction_session_timeout=30s".Trim();
        return builder.ConnectionString;
    }

    public Task AppendAsync(IReadOnlyList<MetricPoint> points, CancellationToken ct) => AppendAsync(points, null, ct);

    public async Task<int> AppendAsync(IReadOnlyList<MetricPoint> points, IReadOnlyDictionary<long, long>? fences, CancellationToken ct)
    {
        await using var conn = await _source.OpenConnectionAsync(ct);
        try
        {
            return await AppendOnceAsync(conn, points, fences, skipStored: false, ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // Only a batch sent again can meet its own points: the connection broke after the server committed it,
            // before the client heard so. Its points are already there, so those are skipped.
            return await AppendOnceAsync(conn, points, fences, skipStored: true, ct);
        }
    }

    private static async Task<int> AppendOnceAsync(NpgsqlConnection conn, IReadOnlyList<MetricPoint> points,
        IReadOnlyDictionary<long, long>? fences, bool skipStored, CancellationToken ct)
    {
        await using var tx = await conn.BeginTransactionAsync(ct);
        var kept = points;
        var attempts = Fences.AttemptsIn(points, fences);
        if (attempts.Length > 0)
        {
            // FOR SHARE: a takeover ending one of these attempts waits for this batch, or this batch sees it ended.
            await using var check = new NpgsqlCommand("SELECT id FROM run_attempts WHERE id = ANY(@ids) AND ended_at IS NULL FOR SHARE", conn, tx);
            check.Parameters.AddWithValue("ids", attempts);
            kept = await Fences.KeepAsync(points, fences!, check, ct);
        }
        if (kept.Count > 0)
        {
            if (skipStored)
            {
                await using (var create = new NpgsqlCommand("CREATE TEMP TABLE metric_batch (LIKE metric_points) ON COMMIT DROP", conn, tx))
                    await create.ExecuteNonQueryAsync(ct);
                await CopyAsync(conn, "metric_batch", kept, ct);
                await using var insert = new NpgsqlCommand("INSERT INTO metric_points SELECT * FROM metric_batch ON CONFLICT DO NOTHING", conn, tx);
                await insert.ExecuteNonQueryAsync(ct);
            }
            else
            {
                await CopyAsync(conn, "metric_points", kept, ct);
            }
            await UpsertSummariesAsync(conn, kept, ct);
        }
        await tx.CommitAsync(ct);
        return points.Count - kept.Count;
    }

    private static async Task CopyAsync(NpgsqlConnection conn, string table, IReadOnlyList<MetricPoint> points, CancellationToken ct)
    {
        await using var copy = await conn.BeginBinaryImportAsync(
            $"COPY {table} (run_id, key, step, value, time) FROM STDIN (FORMAT BINARY)", ct);
        // The synchronous writes only fill Npgsql's buffer (it sends when full); the async ones cost a state
        // machine per value, a third of the throughput on a small machine.
        foreach (var p in points)
        {
            ct.ThrowIfCancellationRequested();
            copy.StartRow();
            copy.Write(p.RunId, NpgsqlDbType.Bigint);
            copy.Write(p.Key, NpgsqlDbType.Text);
            copy.Write(p.Step, NpgsqlDbType.Bigint);
            copy.Write(p.Value, NpgsqlDbType.Double);
            copy.Write(p.Time, NpgsqlDbType.TimestampTz);
        }
        await copy.CompleteAsync(ct);
    }

    // All SET expressions read the row as it was, so the order of the assignments does not matter.
    private static async Task UpsertSummariesAsync(NpgsqlConnection conn, IReadOnlyList<MetricPoint> points, CancellationToken ct)
    {
        var batch = MetricSummarySql.Of(points);
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO metric_summaries AS s (run_id, key, last_step, last_value, min_value, max_value)
            SELECT * FROM unnest(@run, @key, @last_step, @last_value, @min_value, @max_value)
            ON CONFLICT (run_id, key) DO UPDATE SET
              last_step = GREATEST(s.last_step, excluded.last_step),
              last_value = CASE WHEN excluded.last_step >= s.last_step THEN excluded.last_value ELSE s.last_value END,
              min_value = LEAST(s.min_value, excluded.min_value),
              max_value = GREATEST(s.max_value, excluded.max_value)
            """, conn);
        cmd.Parameters.AddWithValue("run", batch.Select(s => s.RunId).ToArray());
        cmd.Parameters.AddWithValue("key", batch.Select(s => s.Key).ToArray());
        cmd.Parameters.AddWithValue("last_step", batch.Select(s => s.LastStep).ToArray());
        cmd.Parameters.AddWithValue("last_value", batch.Select(s => s.LastValue).ToArray());
        cmd.Parameters.AddWithValue("min_value", batch.Select(s => s.MinValue).ToArray());
        cmd.Parameters.AddWithValue("max_value", batch.Select(s => s.MaxValue).ToArray());
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
