using System.Globalization;
using System.Text.Json.Nodes;
using Dashboard.Data;
using Dashboard.Data.Metrics;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Web.Api;

/// <summary>
/// One metric of several runs against a chosen x-axis, for the compare page: each run's series min/max downsampled,
/// and optionally the runs grouped by a parameter into mean ± std bands (one configuration over several seeds).
/// </summary>
public static class CompareApi
{
    public const int MaxRuns = 200;
    public const int DefaultPoints = 1500;
    private const int MaxPoints = 100_000;

    /// <summary>
    /// Points per run the page asks for: all 1,500 for a few runs, fewer each for many, so that a hundred runs draw
    /// about as fast as twenty. Min/max downsampling keeps every spike at any count.
    /// </summary>
    public static int PointsFor(int runs) => Math.Clamp(40_000 / Math.Max(runs, 1), 200, DefaultPoints);

    public sealed record Keys(List<string> Metrics, List<string> Params);

    public static void MapCompareApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/compare", async (string? runs, string? key, string? x, string? points, string? group,
            IDbContextFactory<DashboardDb> dbs, CancellationToken ct) =>
        {
            if (!RunIds.TryParse(runs, MaxRuns, out var ids, out var error)) return RunIds.Invalid("runs", error);
            if (string.IsNullOrWhiteSpace(key)) return RunIds.Invalid("key", "required: a metric key, e.g. loss");
            x = string.IsNullOrEmpty(x) ? SeriesAxes.Step : x;
            if (!SeriesAxes.Names.Contains(x)) return RunIds.Invalid("x", $"one of {string.Join(", ", SeriesAxes.Names)}");
            int target = DefaultPoints;
            if (points is not null && (!int.TryParse(points, NumberStyles.None, CultureInfo.InvariantCulture, out target) || target is < 4 or > MaxPoints))
                return RunIds.Invalid("points", $"a whole number from 4 to {MaxPoints:N0}");

            await using var db = await dbs.CreateDbContextAsync(ct);
            var found = await db.Runs.AsNoTracking().Where(r => ids.Contains(r.Id)).ToDictionaryAsync(r => r.Id, ct);
            if (ids.Where(id => !found.ContainsKey(id)).ToList() is { Count: > 0 } missing)
                return Results.Problem(statusCode: StatusCodes.Status404NotFound, detail: $"no run with id {string.Join(", ", missing)}");
            var ordered = ids.Select(id => found[id]).ToList();
            bool grouped = !string.IsNullOrWhiteSpace(group);
            var series = await ComparedSeries.ReadAsync(dbs, ordered, key, x, target, full: grouped, ct);

            bool wall = x == SeriesAxes.Wall;
            object Xs(double[] xs) => wall ? xs.Select(Iso).ToArray() : xs;
            var json = ordered.Select(r =>
            {
                var s = series[r.Id];
                return new
                {
                    id = r.Id,
                    name = r.DisplayName,
                    status = r.Status,
                    diverged_at_step = r.DivergedAtStep,
                    @params = JsonNode.Parse(r.Params),
                    stored_points = s.Stored,
                    x = Xs(s.X),
                    y = s.Y,
                    diverged_x = wall ? (object?)(s.DivergedX is { } dx ? Iso(dx) : null) : s.DivergedX,
                    diverged_y = s.DivergedY,
                };
            }).ToList();

            var groups = !grouped ? [] : ordered
                .GroupBy(r => RunParameters.Json(ValueOf(r, group!)))
                .Select(g => (Value: ValueOf(g.First(), group!), Runs: g.ToList()))
                .OrderBy(g => g.Value is JsonValue v && v.TryGetValue<double>(out var d) ? d : double.PositiveInfinity)
                .ThenBy(g => RunParameters.Json(g.Value), StringComparer.Ordinal)
                .Select(g =>
                {
                    var band = SeriesBands.Of([.. g.Runs.Select(r => series[r.Id].Full!.Value)], target);
                    return new
                    {
                        value = g.Value?.DeepClone(),
                        label = $"{group} = {(g.Value is null ? "(not set)" : RunParameters.Display(g.Value))}",
                        run_ids = g.Runs.Select(r => r.Id).ToArray(),
                        x = Xs(band.X),
                        mean = band.Mean,
                        std = band.Std,
                        n = band.N,
                    };
                }).ToList();

            return Results.Ok(new { key, x, runs = json, groups });
        });

        app.MapGet("/api/compare/keys", async (string? runs, IDbContextFactory<DashboardDb> dbs, CancellationToken ct) =>
        {
            if (!RunIds.TryParse(runs, MaxRuns, out var ids, out var error)) return RunIds.Invalid("runs", error);
            await using var db = await dbs.CreateDbContextAsync(ct);
            var found = await db.Runs.AsNoTracking().Where(r => ids.Contains(r.Id)).ToListAsync(ct);
            if (found.Count == 0) return Results.Problem(statusCode: StatusCodes.Status404NotFound, detail: $"no run with id {string.Join(", ", ids)}");
            var keys = await KeysAsync(db, found, ct);
            return Results.Ok(new { metrics = keys.Metrics, @params = keys.Params });
        });
    }

    /// <summary>The metrics the runs have stored, and the parameters that tell them apart (the page's selects).</summary>
    public static async Task<Keys> KeysAsync(DashboardDb db, IReadOnlyList<Run> runs, CancellationToken ct)
    {
        var ids = runs.Select(r => r.Id).ToList();
        var metrics = await db.MetricSummaries.Where(s => ids.Contains(s.RunId)).Select(s => s.Key).Distinct().ToListAsync(ct);
        metrics = [.. MetricCatalogue.Ordered(metrics)];
        return new(metrics, RunParameters.Differing(runs, [.. runs.Select(RunParameters.Of)]));
    }

    /// <summary>A run's value of a dotted key: its sweep's, else its spec's; null where it has none.</summary>
    private static JsonNode? ValueOf(Run run, string key) => RunParameters.Of(run).GetValueOrDefault(key);

    /// <summary>Wall-clock x values travel as milliseconds since 1970 and leave as ISO 8601 UTC.</summary>
    private static string Iso(double unixMs) =>
        DateTime.UnixEpoch.AddTicks((long)Math.Round(unixMs * TimeSpan.TicksPerMillisecond)).ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
}
