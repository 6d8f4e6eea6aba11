using System.Globalization;
using Dashboard.Data;
using Dashboard.Data.Metrics;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Web.Api;

/// <summary>
/// GET /api/runs/{id}/metrics?keys=loss,val_loss[&amp;points=1500][&amp;after=1200]: several keys of a run in one
/// request, through the same read as the run page. Every point by default (step, value, time), at most ?points= min/max
/// downsampled for charts, and with ?after= only the points after that step (a script following a run).
/// </summary>
public static class MetricsApi
{
    private const int MaxKeys = 32;

    public static void MapMetricsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/runs/{id:long}/metrics", async (long id, string? keys, string? points, string? after, IDbContextFactory<DashboardDb> dbs, CancellationToken ct) =>
        {
            var wanted = (keys ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();
            if (wanted.Count == 0) return BadQuery.Field("keys", "required: metric keys separated by commas, e.g. ?keys=loss,val_loss");
            if (wanted.Count > MaxKeys) return BadQuery.Field("keys", $"at most {MaxKeys} keys at a time");
            int target = 0;
            if (points is not null && (!int.TryParse(points, NumberStyles.None, CultureInfo.InvariantCulture, out target) || target is < 4 or > 1_000_000))
                return BadQuery.Field("points", "a whole number from 4 to 1,000,000");
            long from = long.MinValue;
            if (after is not null && !long.TryParse(after, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out from))
                return BadQuery.Field("after", "a step (a whole number)");
            await using var db = await dbs.CreateDbContextAsync(ct);
            var run = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, ct);
            if (run is null) return Results.NotFound();
            var series = await MetricSeries.ReadAsync(dbs, new SeriesRequest([run], wanted, Points: target,
                After: wanted.ToDictionary(k => k, _ => from), Times: target == 0), ct);
            return Results.Ok(series.ToDictionary(s => s.Key, s => s.Steps.Select((step, i) => target == 0
                ? (object)new { step, value = s.Y[i], time = s.Times![i] }
                : new { step, value = s.Y[i] })));
        });
    }
}
