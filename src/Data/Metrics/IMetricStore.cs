namespace Dashboard.Data.Metrics;

/// <summary>Appends a batch of metric points in one round trip: COPY on PostgreSQL, one transaction on SQLite.</summary>
public interface IMetricStore
{
    Task AppendAsync(IReadOnlyList<MetricPoint> points, CancellationToken ct);
}
