using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dashboard.Data.Metrics;

/// <summary>
/// The one metric write path of a process: trainers enqueue points without waiting, a background loop writes
/// them in batches and then tells live pages which runs gained points.
/// </summary>
public sealed class MetricWriter(IMetricStore store, RunEvents events, ILogger<MetricWriter> log) : BackgroundService
{
    private const int MaxBatch = 5_000;
    private static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(50);

    private readonly Channel<object> _queue = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });

    public void Enqueue(MetricPoint point) => _queue.Writer.TryWrite(point);

    /// <summary>Completes once every point enqueued before the call is stored.</summary>
    public Task FlushAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(done)) done.SetResult();
        return done.Task;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<MetricPoint>(MaxBatch);
        var flushes = new List<TaskCompletionSource>();
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken))
            {
                // A short linger turns many small enqueues into one round trip.
                await Task.Delay(Linger, stoppingToken);
                while (batch.Count < MaxBatch && reader.TryRead(out var item))
                {
                    if (item is MetricPoint p) batch.Add(p);
                    else if (item is TaskCompletionSource tcs) { flushes.Add(tcs); break; }
                }
                await WriteAsync(batch, stoppingToken);
                foreach (var f in flushes) f.TrySetResult();
                flushes.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: store what is queued so that a finished epoch is never lost.
            while (reader.TryRead(out var item))
            {
                if (item is MetricPoint p) batch.Add(p);
                else if (item is TaskCompletionSource tcs) flushes.Add(tcs);
            }
            await WriteAsync(batch, CancellationToken.None);
            foreach (var f in flushes) f.TrySetResult();
        }
    }

    private async Task WriteAsync(List<MetricPoint> batch, CancellationToken ct)
    {
        if (batch.Count == 0) return;
        try
        {
            await store.AppendAsync(batch, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogError(e, "Could not store {Count} metric points", batch.Count);
        }
        foreach (var runId in batch.Select(p => p.RunId).Distinct())
            events.Publish(new RunEvent(runId, RunEventKind.MetricsWritten));
        batch.Clear();
    }
}
