using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Web.Api;

/// <summary>
/// Server-sent events for one run's page: its status, then the metric points it gains, as they are stored.
/// Woken by run events (this process's metric writer, or on PostgreSQL another process's through LISTEN/NOTIFY),
/// and every two seconds should an event be missed while the relay reconnects.
/// </summary>
public static class RunLiveApi
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Coalesce = TimeSpan.FromMilliseconds(250);

    public static void MapRunLiveApi(this IEndpointRouteBuilder app)
    {
        // ?after=loss:1200,val_loss:1000 starts each key after the step the page already drew (from the downsampled
        // series it loaded first), so a long run's history is not streamed point by point.
        app.MapGet("/api/runs/{id:long}/live", (long id, string? keys, string? after, IDbContextFactory<DashboardDb> dbs, RunEvents events, CancellationToken ct) =>
        {
            var wanted = (keys ?? "loss,val_loss,train_accuracy,val_accuracy")
                .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().Take(32).ToArray();
            var last = wanted.ToDictionary(k => k, _ => -1L);
            foreach (var part in (after ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                var colon = part.LastIndexOf(':');
                if (colon > 0 && last.ContainsKey(part[..colon]) && long.TryParse(part[(colon + 1)..], out var step)) last[part[..colon]] = step;
            }
            return TypedResults.ServerSentEvents(Stream(id, last, dbs, events, ct));
        });
    }

    private static async IAsyncEnumerable<SseItem<object>> Stream(long id, Dictionary<string, long> last, IDbContextFactory<DashboardDb> dbs,
        RunEvents events, [EnumeratorCancellation] CancellationToken ct)
    {
        using var wake = new SemaphoreSlim(0);
        using var subscription = events.Subscribe(e => { if (e.RunId == id && wake.CurrentCount == 0) wake.Release(); });
        var keys = last.Keys.ToArray();
        string? lastState = null;
        while (!ct.IsCancellationRequested)
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            // Status first: points stored before a finished status are then all sent in this same round.
            var run = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, ct);
            if (run is null)
            {
                yield return new SseItem<object>(new { error = "no such run" }, "missing");
                yield break;
            }
            var points = new Dictionary<string, object>();
            foreach (var key in keys)
            {
                var after = last[key];
                var rows = await db.MetricPoints.AsNoTracking().Where(p => p.RunId == id && p.Key == key && p.Step > after)
                    .OrderBy(p => p.Step).Select(p => new { p.Step, p.Value }).ToListAsync(ct);
                if (rows.Count == 0) continue;
                last[key] = rows[^1].Step;
                points[key] = new { x = rows.Select(r => r.Step), y = rows.Select(r => r.Value) };
            }
            if (points.Count > 0) yield return new SseItem<object>(points, "points");

            var state = new
            {
                status = run.Status, epoch = run.Epoch, max_epochs = run.MaxEpochs, error = run.Error,
                diverged_at_step = run.DivergedAtStep, started_at = run.StartedAt, finished_at = run.FinishedAt,
            };
            var stateKey = $"{run.Status}|{run.Epoch}|{run.Error}|{run.FinishedAt:O}";
            if (stateKey != lastState)
            {
                lastState = stateKey;
                yield return new SseItem<object>(state, "run");
            }
            if (RunStatus.IsFinished(run.Status)) yield break;

            // The writer flushes many times a second during a fast run: a short pause gathers those flushes into
            // one event instead of one per flush (the chart still moves several times a second).
            try
            {
                await Task.Delay(Coalesce, ct);
                await wake.WaitAsync(Poll, ct);
            }
            catch (OperationCanceledException) { yield break; }
        }
    }
}
