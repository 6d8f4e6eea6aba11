using System.Globalization;
using System.Text.Json.Nodes;
using Dashboard.Data;
using Dashboard.Data.Metrics;
using Dashboard.Web.Queries;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Web.Api;

/// <summary>/api/compare for scripts: what the compare page draws (<see cref="CompareQuery"/>), as JSON.</summary>
public static class CompareApi
{
    public static void MapCompareApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/compare", async (string? runs, string? key, string? x, string? points, string? group,
            IDbContextFactory<DashboardDb> dbs, CancellationToken ct) =>
        {
            if (!RunIds.TryParse(runs, CompareQuery.MaxRuns, out var ids, out var error)) return BadQuery.Field("runs", error);
            if (string.IsNullOrWhiteSpace(key)) return BadQuery.Field("key", "required: a metric key, e.g. loss");
            x = string.IsNullOrEmpty(x) ? SeriesAxes.Step : x;
            if (!SeriesAxes.Names.Contains(x)) return BadQuery.Field("x", $"one of {string.Join(", ", SeriesAxes.Names)}");
            int target = CompareQuery.DefaultPoints;
            if (points is not null && (!int.TryParse(points, NumberStyles.None, CultureInfo.InvariantCulture, out target) || target is < 4 or > CompareQuery.MaxPoints))
                return BadQuery.Field("points", $"a whole number from 4 to {CompareQuery.MaxPoints:N0}");

            await using var db = await dbs.CreateDbContextAsync(ct);
            var (found, missing) = await CompareQuery.FindAsync(db, ids, ct);
            if (missing.Count > 0) return Results.Problem(statusCode: StatusCodes.Status404NotFound, detail: $"no run with id {string.Join(", ", missing)}");
            var groupBy = CompareQuery.GroupKeys(group);
            var result = await CompareQuery.RunAsync(dbs, found, key, x, target, groupBy, ct);

            bool wall = x == SeriesAxes.Wall;
            object Xs(double[] xs) => wall ? xs.Select(Iso).ToArray() : xs;
            var json = result.Runs.Select(c => new
            {
                id = c.Run.Id,
                name = c.Run.DisplayName,
                status = c.Run.Status,
                diverged_at_step = c.Run.DivergedAtStep,
                @params = JsonNode.Parse(c.Run.Params),
                stored_points = c.Series.Stored,
                x = Xs(c.Series.X),
                y = c.Series.Y,
                diverged_x = wall ? (object?)(c.Series.DivergedX is { } dx ? Iso(dx) : null) : c.Series.DivergedX,
                diverged_y = c.Series.DivergedY,
            }).ToList();
            var groups = result.Groups.Select(g => new
            {
                value = g.Values.Count == 1 ? g.Values[0]?.DeepClone() : new JsonArray([.. g.Values.Select(v => v?.DeepClone())]),
                label = g.Label,
                run_ids = g.RunIds,
                runs = g.Runs,
                x = Xs(g.Band.X),
                mean = g.Band.Mean,
                std = g.Band.Std,
                n = g.Band.N,
            }).ToList();
            return Results.Ok(new { key, x, runs = json, groups });
        });

        app.MapGet("/api/compare/keys", async (string? runs, IDbContextFactory<DashboardDb> dbs, CancellationToken ct) =>
        {
            if (!RunIds.TryParse(runs, CompareQuery.MaxRuns, out var ids, out var error)) return BadQuery.Field("runs", error);
            await using var db = await dbs.CreateDbContextAsync(ct);
            var (found, _) = await CompareQuery.FindAsync(db, ids, ct);
            if (found.Count == 0) return Results.Problem(statusCode: StatusCodes.Status404NotFound, detail: $"no run with id {string.Join(", ", ids)}");
            var keys = await CompareQuery.KeysAsync(db, found, ct);
            return Results.Ok(new { metrics = keys.Metrics, @params = keys.Params });
        });
    }

    /// <summary>Wall-clock x values travel as milliseconds since 1970 and leave as ISO 8601 UTC.</summary>
    private static string Iso(double unixMs) =>
        DateTime.UnixEpoch.AddTicks((long)Math.Round(unixMs * TimeSpan.TicksPerMillisecond)).ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
}
