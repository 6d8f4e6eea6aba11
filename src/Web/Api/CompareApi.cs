using System.Data.Common;
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

    /// <summary>The keys a researcher reaches for first, in this order; any others follow alphabetically.</summary>
    private static readonly string[] PreferredMetrics =
        ["loss", "val_loss", "train_loss", "val_accuracy", "train_accuracy", "val_ap", "distance", "lr", "batch_size", "epoch_time"];

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
            var series = await ReadSeriesAsync(db, ids, key, x, ct);

            bool wall = x == SeriesAxes.Wall;
            object Xs(IEnumerable<double> xs) => wall ? xs.Select(Iso).ToArray() : xs.ToArray();
            var json = ordered.Select(r =>
            {
                var s = series[r.Id];
                var kept = s.Downsampled(target);
                double? divergedX = null, divergedY = null;
                if (r.DivergedAtStep is { } at && s.Steps.Count > 0)
                {
                    divergedX = Finite(s.XOf(at));
                    int last = s.Steps.FindLastIndex(step => step <= at);
                    divergedY = last >= 0 ? s.Values[last] : null;
                }
                return new
                {
                    id = r.Id,
                    name = r.DisplayName,
                    status = r.Status,
                    diverged_at_step = r.DivergedAtStep,
                    @params = JsonNode.Parse(r.Params),
                    x = Xs(kept.Select(p => p.X)),
                    y = kept.Select(p => p.Y).ToArray(),
                    diverged_x = wall ? (object?)(divergedX is { } dx ? Iso(dx) : null) : divergedX,
                    diverged_y = divergedY,
                };
            }).ToList();

            var groups = string.IsNullOrWhiteSpace(group) ? [] : ordered
                .GroupBy(r => RunParameters.Json(ValueOf(r, group)))
                .Select(g => (Value: ValueOf(g.First(), group), Runs: g.ToList()))
                .OrderBy(g => g.Value is JsonValue v && v.TryGetValue<double>(out var d) ? d : double.PositiveInfinity)
                .ThenBy(g => RunParameters.Json(g.Value), StringComparer.Ordinal)
                .Select(g =>
                {
                    var band = SeriesBands.Of([.. g.Runs.Select(r => series[r.Id].Curve())], target);
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
        metrics = [.. metrics.OrderBy(k => Array.IndexOf(PreferredMetrics, k) is var i and >= 0 ? i : int.MaxValue).ThenBy(k => k, StringComparer.Ordinal)];
        return new(metrics, RunParameters.Differing(runs, [.. runs.Select(RunParameters.Of)]));
    }

    /// <summary>A run's value of a dotted key: its sweep's, else its spec's; null where it has none.</summary>
    private static JsonNode? ValueOf(Run run, string key) => RunParameters.Of(run).GetValueOrDefault(key);

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;

    /// <summary>Wall-clock x values travel as milliseconds since 1970 and leave as ISO 8601 UTC.</summary>
    private static string Iso(double unixMs) =>
        DateTime.UnixEpoch.AddTicks((long)Math.Round(unixMs * TimeSpan.TicksPerMillisecond)).ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>One run's stored points of the key, full resolution, with each point's x on the chosen axis.</summary>
    private sealed class Series
    {
        public readonly List<long> Steps = [];
        public readonly List<double> Values = [];
        public readonly List<DateTime> Times = [];
        public double[] X = [];
        /// <summary>x of any step, stored or not: the axis's own mapping.</summary>
        public Func<long, double> XOf = _ => double.NaN;

        public List<(double X, double Y)> Downsampled(int target)
        {
            var kept = Downsampling.MinMax([.. Steps.Zip(Values)], target);
            var points = new List<(double, double)>(kept.Count);
            int i = 0;  // kept points are stored points in step order: walk forward to each
            foreach (var (step, value) in kept)
            {
                while (Steps[i] != step) i++;
                if (double.IsFinite(X[i])) points.Add((X[i], value));
            }
            return points;
        }

        public (double[] X, double[] Y) Curve() => (X, [.. Values]);
    }

    // Raw ADO rather than EF: a hundred runs of 10,000 points each are a million rows, and the compare page is waiting.
    private static async Task<Dictionary<long, Series>> ReadSeriesAsync(DashboardDb db, long[] ids, string key, string axis, CancellationToken ct)
    {
        var conn = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        bool timed = axis is SeriesAxes.Relative or SeriesAxes.Wall;
        var series = ids.ToDictionary(id => id, _ => new Series());
        await ReadPointsAsync(conn, ids, key, timed, series, ct);

        if (axis == SeriesAxes.Step)
            foreach (var s in series.Values) (s.X, s.XOf) = ([.. s.Steps.Select(step => (double)step)], step => step);
        else if (axis == SeriesAxes.Epoch || SeriesAxes.IsCounter(axis))
        {
            var axes = ids.ToDictionary(id => id, _ => new Series());
            await ReadPointsAsync(conn, ids, axis == SeriesAxes.Epoch ? "epoch" : axis, false, axes, ct);
            foreach (var (id, s) in series)
            {
                var known = axes[id].Steps.Zip(axes[id].Values).ToList();
                Func<IReadOnlyList<long>, double[]> map = axis == SeriesAxes.Epoch
                    ? steps => SeriesAxes.Epochs(known, steps)
                    : steps => SeriesAxes.Interpolate(known, steps, fromZero: true);
                s.X = map(s.Steps);
                s.XOf = step => map([step])[0];
            }
        }
        else
        {
            var origins = axis == SeriesAxes.Relative ? await FirstTimesAsync(conn, ids, ct) : [];
            foreach (var (id, s) in series)
            {
                s.X = axis == SeriesAxes.Relative
                    ? SeriesAxes.SecondsSince(s.Times, origins.GetValueOrDefault(id, s.Times.FirstOrDefault()))
                    : SeriesAxes.SecondsSince(s.Times, DateTime.UnixEpoch).Select(sec => sec * 1000).ToArray();
                // A step between stored points: its time read off the run's own points.
                var known = s.Steps.Zip(s.X).ToList();
                s.XOf = step => SeriesAxes.Interpolate(known, [step], fromZero: false)[0];
            }
        }
        return series;
    }

    private static async Task ReadPointsAsync(DbConnection conn, long[] ids, string key, bool timed, Dictionary<long, Series> into, CancellationToken ct)
    {
        await using var cmd = conn.CreateCommand();
        // One walk along the primary key (run_id, key, step) per run, by one prepared statement.
        cmd.CommandText = $"SELECT step, value{(timed ? ", time" : "")} FROM metric_points WHERE run_id = @r AND key = @k ORDER BY step";
        var run = Add(cmd, "@r", 0L);
        Add(cmd, "@k", key);
        foreach (var id in ids)
        {
            run.Value = id;
            var s = into[id];
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                s.Steps.Add(reader.GetInt64(0));
                s.Values.Add(reader.GetDouble(1));
                if (timed) s.Times.Add(DateTime.SpecifyKind(reader.GetDateTime(2), DateTimeKind.Utc));
            }
        }
    }

    /// <summary>When each run stored its first point, of any key: the origin of relative time.</summary>
    private static async Task<Dictionary<long, DateTime>> FirstTimesAsync(DbConnection conn, long[] ids, CancellationToken ct)
    {
        await using var cmd = conn.CreateCommand();
        // One index probe per (run, key) the summaries know of, instead of reading every point of every key.
        cmd.CommandText = "SELECT s.run_id, (SELECT p.time FROM metric_points p WHERE p.run_id = s.run_id AND p.key = s.key ORDER BY p.step LIMIT 1) " +
                          $"FROM metric_summaries s WHERE s.run_id IN ({InList(cmd, ids)})";
        var first = new Dictionary<long, DateTime>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            if (reader.IsDBNull(1)) continue;
            long run = reader.GetInt64(0);
            var t = DateTime.SpecifyKind(reader.GetDateTime(1), DateTimeKind.Utc);
            if (!first.TryGetValue(run, out var f) || t < f) first[run] = t;
        }
        return first;
    }

    private static string InList(DbCommand cmd, long[] ids)
    {
        for (int i = 0; i < ids.Length; i++) Add(cmd, $"@r{i}", ids[i]);
        return string.Join(", ", ids.Select((_, i) => $"@r{i}"));
    }

    private static DbParameter Add(DbCommand cmd, string name, object value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        cmd.Parameters.Add(p);
        return p;
    }
}
