using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dashboard.Data.Metrics;

/// <summary>
/// The one metric write path of a process: trainers enqueue points without waiting, a background loop writes
/// them in batches and then tells live pages which runs gained points. While the database is away, the points wait
/// in a bounded buffer and the same batch is tried again until it is stored; nothing is dropped.
/// </summary>
public sealed class MetricWriter(IMetricStore store, RunEvents events, MetricsOptions options, ILogger<MetricWriter> log) : BackgroundService
{
    private const int MaxBatch = 20_000;
    private static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);
    /// <summary>How long a stopping process keeps trying to store what it still holds.</summary>
    private static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(15);

    private readonly Channel<object> _queue = Channel.CreateBounded<object>(
        new BoundedChannelOptions(options.BufferPoints) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private int _fullWarned;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, long> _fences = new();

    /// <summary>
    /// From now on this run's points are stored only while <paramref name="attemptId"/> is open (checked with each
    /// batch): once another host has taken the run over, what this process still holds of it is left out.
    /// </summary>
    public void Fence(long runId, long attemptId) => _fences[runId] = attemptId;

    /// <summary>Ends <see cref="Fence"/> for a run whose attempt here is over and whose points are stored.</summary>
    public void Unfence(long runId) => _fences.TryRemove(runId, out _);

    /// <summary>Queues a point; returns at once unless the buffer is full, in which case the caller waits for room.</summary>
    public void Enqueue(MetricPoint point)
    {
        if (_queue.Writer.TryWrite(point)) return;
        if (Interlocked.Exchange(ref _fullWarned, 1) == 0)
            log.LogWarning("The metric buffer is full ({Capacity} points): training waits until the database takes points again", options.BufferPoints);
        // Waiting keeps every point; the trainer's thread is its own, so blocking it stalls only that run.
        while (!_queue.Writer.TryWrite(point))
            if (!_queue.Writer.WaitToWriteAsync().AsTask().GetAwaiter().GetResult()) return;  // writer completed: shutting down
    }

    /// <summary>Completes once every point enqueued before the call is stored.</summary>
    public Task FlushAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(done)) _ = WriteFlushAsync(done);
        return done.Task;
    }

    private async Task WriteFlushAsync(TaskCompletionSource done)
    {
        try { await _queue.Writer.WriteAsync(done); }
        catch (ChannelClosedException) { done.TrySetResult(); }
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
                bool flushing = Take(reader, batch, flushes);
                // A short linger turns many small enqueues into one round trip; a full batch goes at once.
                if (!flushing && batch.Count < MaxBatch)
                {
                    await Task.Delay(Linger, stoppingToken);
                    Take(reader, batch, flushes);
                }
                await WriteAsync(batch, stoppingToken);
                foreach (var f in flushes) f.TrySetResult();
                flushes.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: store what is queued so that a finished epoch is never lost. Closed first, so that a run
            // still ending neither waits for room nor for a flush that would never come.
            _queue.Writer.TryComplete();
            using var grace = new CancellationTokenSource(ShutdownGrace);
            while (reader.TryRead(out var item))
            {
                if (item is MetricPoint p) batch.Add(p);
                else if (item is TaskCompletionSource tcs) flushes.Add(tcs);
                if (batch.Count >= MaxBatch) await WriteOrGiveUpAsync(batch, grace.Token);
            }
            await WriteOrGiveUpAsync(batch, grace.Token);
            foreach (var f in flushes) f.TrySetResult();
        }
    }

    // Reads up to a full batch; stops at a flush request so that it completes after exactly the points before it.
    private static bool Take(ChannelReader<object> reader, List<MetricPoint> batch, List<TaskCompletionSource> flushes)
    {
        while (batch.Count < MaxBatch && reader.TryRead(out var item))
        {
            if (item is MetricPoint p) batch.Add(p);
            else if (item is TaskCompletionSource tcs) { flushes.Add(tcs); return true; }
        }
        return false;
    }

    private async Task WriteOrGiveUpAsync(List<MetricPoint> batch, CancellationToken grace)
    {
        try { await WriteAsync(batch, grace); }
        catch (OperationCanceledException)
        {
            log.LogError("Stopped with {Count} metric points the database did not take", batch.Count);
            batch.Clear();
        }
    }

    private async Task WriteAsync(List<MetricPoint> batch, CancellationToken ct)
    {
        if (batch.Count == 0) return;
        var backoff = TimeSpan.FromMilliseconds(250);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                int fenced = await store.AppendAsync(batch, _fences, ct);
                if (attempt > 1) log.LogInformation("Stored {Count} metric points after {Attempts} attempts", batch.Count - fenced, attempt);
                if (fenced > 0)
                    log.LogWarning("Left out {Count} metric points of runs another host has taken over", fenced);
                Interlocked.Exchange(ref _fullWarned, 0);
                break;
            }
            catch (Exception e) when (!ct.IsCancellationRequested && DatabaseFaults.IsTransient(e))
            {
                if (attempt == 1) log.LogWarning(e, "The database did not take {Count} metric points; holding them and trying again", batch.Count);
                await Task.Delay(backoff, ct);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A batch the database refuses for good (say, its run was deleted meanwhile) would block every later one.
                log.LogError(e, "Could not store {Count} metric points; dropped them", batch.Count);
                break;
            }
        }
        foreach (var runId in batch.Select(p => p.RunId).Distinct())
            events.Publish(new RunEvent(runId, RunEventKind.MetricsWritten));
        batch.Clear();
    }
}
