using System.Data.Common;
using Dashboard.Data;
using Dashboard.Data.Metrics;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Web.Api;

/// <summary>
/// One run's series of the compared key on the chosen x-axis: min/max downsampled for drawing, the point where the run
/// diverged, and (for bands) every point. x is NaN nowhere: points the axis cannot place are left out (a run that has
/// not finished an epoch has no epoch axis yet), so <paramref name="Stored"/> says how many points there are.
/// </summary>
internal sealed record ComparedSeries(int Stored, double[] X, double[] Y, double? DivergedX, double? DivergedY, (double[] X, double[] Y)? Full)
{
    /// <param name="target">At most this many points per run (min/max downsampling).</param>
    /// <param name="full">Whether every point is wanted too (grouping into bands).</param>
    public static async Task<Dictionary<long, ComparedSeries>> ReadAsync(IDbContextFactory<DashboardDb> dbs, IReadOnlyList<Run> runs, string key,
        string axis, int target, bool full, CancellationToken ct)
    {
        Dictionary<long, DateTime> origins = [];
        if (axis == SeriesAxes.Relative)
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            origins = await FirstTimesAsync(db, runs, ct);
        }
        // Runs in a few slices, each on its own connection: reading a million rows is CPU work in the database
        // library, and the machine has other cores. Two slices already take most of it; more would crowd the server.
        int slices = Math.Clamp(Math.Min(Environment.ProcessorCount, runs.Count / 8), 1, 4);
        var parts = await Task.WhenAll(Enumerable.Range(0, slices).Select(k =>
        {
            var slice = runs.Skip(runs.Count * k / slices).Take(runs.Count * (k + 1) / slices - runs.Count * k / slices).ToList();
            return Task.Run(() => ReadSliceAsync(dbs, slice, key, axis, target, full, origins, ct), ct);
        }));
        return parts.SelectMany(p => p).ToDictionary();
    }

    private static async Task<Dictionary<long, ComparedSeries>> ReadSliceAsync(IDbContextFactory<DashboardDb> dbs, IReadOnlyList<Run> runs,
        string key, string axis, int target, bool full, Dictionary<long, DateTime> origins, CancellationToken ct)
    {
        bool timed = axis is SeriesAxes.Relative or SeriesAxes.Wall;
        await using var db = await dbs.CreateDbContextAsync(ct);
        await using var values = await SeriesReader.OpenAsync(db, key, timed, ct);
        // The axis's own series: the epoch ends, or the per-step counter.
        await using var axisValues = axis == SeriesAxes.Epoch || SeriesAxes.IsCounter(axis)
            ? await SeriesReader.OpenAsync(db, axis == SeriesAxes.Epoch ? "epoch" : axis, false, ct)
            : null;
        StoredSeries points = new(), known = new();
        var result = new Dictionary<long, ComparedSeries>(runs.Count);
        foreach (var run in runs)
        {
            await values.ReadAsync(run.Id, points, ct);
            if (axisValues is not null) await axisValues.ReadAsync(run.Id, known, ct);
            var origin = origins.TryGetValue(run.Id, out var first) ? first : points.Times.FirstOrDefault();

            // x of stored points, by their index in the series; of any step, stored or not.
            double[] XAt(IReadOnlyList<int> indexes)
            {
                if (timed)
                    return [.. indexes.Select(i => axis == SeriesAxes.Relative
                        ? (points.Times[i] - origin).TotalSeconds
                        : (points.Times[i] - DateTime.UnixEpoch).TotalMilliseconds)];
                return XOf([.. indexes.Select(i => points.Points[i].Step)]);
            }
            double[] XOf(IReadOnlyList<long> steps) => axis switch
            {
                SeriesAxes.Step => [.. steps.Select(s => (double)s)],
                SeriesAxes.Epoch => SeriesAxes.Epochs(known.Points, steps),
                _ when SeriesAxes.IsCounter(axis) => SeriesAxes.Interpolate(known.Points, steps, fromZero: true),
                // A time between stored points: read off the run's own points.
                _ => SeriesAxes.Interpolate([.. points.Points.Select(p => p.Step).Zip(XAt(All(points)))], steps, fromZero: false),
            };

            // The downsampled points are stored ones, in step order: walk forward to each one's index.
            var kept = Downsampling.MinMax(points.Points, target);
            var keptIndexes = new int[kept.Count];
            for (int k = 0, i = 0; k < kept.Count; k++)
            {
                while (points.Points[i].Step != kept[k].Step) i++;
                keptIndexes[k] = i;
            }
            var (x, y) = Placed(XAt(keptIndexes), [.. kept.Select(p => p.Value)]);

            double? divergedX = null, divergedY = null;
            if (run.DivergedAtStep is { } at && points.Points.Count > 0)
            {
                double dx = XOf([at])[0];
                divergedX = double.IsFinite(dx) ? dx : null;
                // The last value stored before it: the loss at the step itself was not finite and never stored.
                int last = points.Points.FindLastIndex(p => p.Step <= at);
                divergedY = last >= 0 ? points.Points[last].Value : null;
            }
            var all = full ? Placed(XAt(All(points)), [.. points.Points.Select(p => p.Value)]) : ((double[], double[])?)null;
            result[run.Id] = new(points.Points.Count, x, y, divergedX, divergedY, all);
        }
        return result;
    }

    private static int[] All(StoredSeries s) => [.. Enumerable.Range(0, s.Points.Count)];

    private static (double[] X, double[] Y) Placed(double[] x, double[] y)
    {
        if (x.All(double.IsFinite)) return (x, y);
        var keep = Enumerable.Range(0, x.Length).Where(i => double.IsFinite(x[i])).ToArray();
        return ([.. keep.Select(i => x[i])], [.. keep.Select(i => y[i])]);
    }

    /// <summary>When each run stored its first point, of any key: the origin of relative time.</summary>
    private static async Task<Dictionary<long, DateTime>> FirstTimesAsync(DashboardDb db, IReadOnlyList<Run> runs, CancellationToken ct)
    {
        await db.Database.OpenConnectionAsync(ct);
        await using var cmd = db.Database.GetDbConnection().CreateCommand();
        var names = runs.Select((r, i) => cmd.AddParameter($"@r{i}", r.Id).ParameterName).ToList();
        // One index probe per (run, key) the summaries know of, instead of reading every point of every key.
        cmd.CommandText = "SELECT s.run_id, (SELECT p.time FROM metric_points p WHERE p.run_id = s.run_id AND p.key = s.key ORDER BY p.step LIMIT 1) " +
                          $"FROM metric_summaries s WHERE s.run_id IN ({string.Join(", ", names)})";
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
}
