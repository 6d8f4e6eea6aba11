using System.Text.Json.Nodes;
using Dashboard.Data;
using Dashboard.Data.Metrics;
using Dashboard.Training.Worker;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Web.Api;

public static class RunsApi
{
    public static void MapRunsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/runs", async (IDbContextFactory<DashboardDb> dbs, CancellationToken ct) =>
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var runs = await db.Runs.OrderByDescending(r => r.Id).Take(500).ToListAsync(ct);
            return Results.Ok(runs.Select(ToJson));
        });

        app.MapGet("/api/runs/{id:long}", async (long id, IDbContextFactory<DashboardDb> dbs, CancellationToken ct) =>
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var run = await db.Runs.FindAsync([id], ct);
            return run is null ? Results.NotFound() : Results.Ok(ToJson(run));
        });

        // Full resolution by default (exports); ?points=N returns at most N, min/max downsampled for charts.
        app.MapGet("/api/runs/{id:long}/metrics", async (long id, string? key, int? points, IDbContextFactory<DashboardDb> dbs, CancellationToken ct) =>
        {
            if (string.IsNullOrWhiteSpace(key))
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["key"] = ["required, e.g. ?key=loss"] });
            if (points is < 4 or > 1_000_000)
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["points"] = ["must be between 4 and 1,000,000"] });
            await using var db = await dbs.CreateDbContextAsync(ct);
            if (!await db.Runs.AnyAsync(r => r.Id == id, ct)) return Results.NotFound();
            var query = db.MetricPoints.Where(p => p.RunId == id && p.Key == key).OrderBy(p => p.Step);
            if (points is not { } target)
                return Results.Ok(await query.Select(p => new { step = p.Step, value = p.Value, time = p.Time }).ToListAsync(ct));
            var series = await query.Select(p => new ValueTuple<long, double>(p.Step, p.Value)).ToListAsync(ct);
            return Results.Ok(Downsampling.MinMax(series, target).Select(p => new { step = p.Item1, value = p.Item2 }));
        });
    }

    /// <summary>POST /api/runs/{id}/cancel: a queued run is cancelled at once (200), a running one is stopped by its host within seconds (202).</summary>
    public static void MapRunCancelApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/runs/{id:long}/cancel", async (long id, RunCancellation cancellation, IDbContextFactory<DashboardDb> dbs, CancellationToken ct) =>
        {
            var outcome = await cancellation.RequestAsync(id, ct);
            await using var db = await dbs.CreateDbContextAsync(ct);
            var run = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, ct);
            return outcome switch
            {
                CancelOutcome.NotFound => Results.NotFound(),
                CancelOutcome.AlreadyFinished => Results.Problem(statusCode: StatusCodes.Status409Conflict,
                    detail: $"run {run!.DisplayName} has already ended: {run.Status}"),
                CancelOutcome.Requested => Results.Accepted($"/api/runs/{id}", ToJson(run!)),
                _ => Results.Ok(ToJson(run!)),
            };
        });
    }

    private static object ToJson(Run r) => new
    {
        id = r.Id,
        name = r.DisplayName,
        experiment_id = r.ExperimentId,
        status = r.Status,
        spec = JsonNode.Parse(r.Spec),
        created_at = r.CreatedAt,
        started_at = r.StartedAt,
        finished_at = r.FinishedAt,
        error = r.Error,
        epoch = r.Epoch,
        max_epochs = r.MaxEpochs,
        diverged_at_step = r.DivergedAtStep,
        cancel_requested_at = r.CancelRequestedAt,
    };
}
