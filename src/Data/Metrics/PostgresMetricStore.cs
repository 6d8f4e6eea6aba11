using Npgsql;
using NpgsqlTypes;

namespace Dashboard.Data.Metrics;

public sealed class PostgresMetricStore(StorageOptions storage) : IMetricStore
{
    private readonly NpgsqlDataSource _source = NpgsqlDataSource.Create(storage.ResolvedConnectionString);

    public async Task AppendAsync(IReadOnlyList<MetricPoint> points, CancellationToken ct)
    {
        await using var conn = await _source.OpenConnectionAsync(ct);
        await using var copy = await conn.BeginBinaryImportAsync(
            "COPY metric_points (run_id, key, step, value, time) FROM STDIN (FORMAT BINARY)", ct);
        foreach (var p in points)
        {
            await copy.StartRowAsync(ct);
            await copy.WriteAsync(p.RunId, NpgsqlDbType.Bigint, ct);
            await copy.WriteAsync(p.Key, NpgsqlDbType.Text, ct);
            await copy.WriteAsync(p.Step, NpgsqlDbType.Bigint, ct);
            await copy.WriteAsync(p.Value, NpgsqlDbType.Double, ct);
            await copy.WriteAsync(p.Time, NpgsqlDbType.TimestampTz, ct);
        }
        await copy.CompleteAsync(ct);
    }
}
