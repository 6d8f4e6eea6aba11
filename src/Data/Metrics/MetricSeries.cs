using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data.Metrics;

/// <summary>
/// What to read: several runs x several keys, placed on one x-axis (<see cref="SeriesAxes.Names"/>), at most
/// <paramref name="Points"/> points a series (min/max downsampled; 0 for every point), and for a live tail only the
/// points after the step each key was last drawn at.
/// </summary>
/// <param name="After">Per key, the last step already drawn: only later points are read (and not downsampled unless
/// more than <paramref name="Points"/> came).</param>
/// <param name="Full">Every point too, placed on the axis (mean ± std bands of grouped runs).</param>
/// <param name="Times">Each kept point's stored time (the API's full-resolution answer).</param>
public sealed record SeriesRequest(IReadOnlyList<Run> Runs, IReadOnlyList<string> Keys, string Axis = SeriesAxes.Step, int Points = 1500,
    IReadOnlyDictionary<string, long>? After = null, bool Full = false, bool Times = false);

/// <summary>
/// One run's series of one key on the request's axis. x is NaN nowhere: points the axis cannot place are left out
/// (a run that has not finished an epoch has no epoch axis yet), so <see cref="Stored"/> says how many points were read.
/// </summary>
/// <param name="Steps">The kept points' steps (the live tail goes on after the last).</param>
/// <param name="LastStep">The last step read; the request's <c>After</c> for the key when nothing new came.</param>
public sealed record Series(long RunId, string Key, int Stored, long[] Steps, double[] X, double[] Y, DateTime[]? Times,
    long LastStep, double? DivergedX, double? DivergedY, (double[] X, double[] Y)? Full);

/// <summary>
/// The one read path of stored metric points: the run page (all its keys in one call), its live tail, compare, the
/// API and the benchmarks read through here. A hundred runs of 10,000 points is a million rows, read while the page
/// waits: each (run, key) is one walk along the primary key with one prepared statement, runs in a few slices on
/// their own connections, and each run's points are reduced before the next run is read.
/// </summary>
public static class MetricSeries
{
    /// <summary>Every requested (run, key), in the request's order of runs, then keys.</summary>
    public static async Task<IReadOnlyList<Series>> ReadAsync(IDbContextFactory<DashboardDb> dbs, SeriesRequest request, CancellationToken ct)
    {
        if (request.Points is not 0 and < 4) throw new ArgumentOutOfRangeException(nameof(request), request.Points, "at least 4 points, or 0 for all");
        if (!SeriesAxes.Names.Contains(request.Axis)) throw new ArgumentOutOfRangeException(nameof(request), request.Axis, "not an x-axis");
        var runs = request.Runs;
        Dictionary<long, DateTime> origins = [];
        if (request.Axis == SeriesAxes.Relative && runs.Count > 0)
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            origins = await FirstTimesAsync(db, runs, ct);
        }
        // Reading a million rows is CPU work in the database library, and the machine has other cores. Two slices
        // already take most of it; more would crowd the server.
        int slices = Math.Clamp(Math.Min(Environment.ProcessorCount, runs.Count / 8), 1, 4);
        var parts = await Task.WhenAll(Enumerable.Range(0, slices).Select(k =>
        {
            var slice = runs.Skip(runs.Count * k / slices).Take(runs.Count * (k + 1) / slices - runs.Count * k / slices).ToList();
            return Task.Run(() => ReadSliceAsync(dbs, slice, request, origins, ct), ct);
        }));
        return [.. parts.SelectMany(p => p)];
    }

    private static async Task<List<Series>> ReadSliceAsync(IDbContextFactory<DashboardDb> dbs, IReadOnlyList<Run> runs, SeriesRequest request,
        Dictionary<long, DateTime> origins, CancellationToken ct)
    {
        var result = new List<Series>(runs.Count * request.Keys.Count);
        if (runs.Count == 0) return result;
        string axis = request.Axis;
        bool timed = axis is SeriesAxes.Relative or SeriesAxes.Wall;
        await using var db = await dbs.CreateDbContextAsync(ct);
        var readers = new List<SeriesReader>();
        try
        {
            foreach (var key in request.Keys) readers.Add(await SeriesReader.OpenAsync(db, key, timed || request.Times, ct));
            // The axis's own series: the epoch ends, or the per-step counter.
            var axisReader = axis == SeriesAxes.Epoch || SeriesAxes.IsCounter(axis)
                ? await SeriesReader.OpenAsync(db, axis == SeriesAxes.Epoch ? "epoch" : axis, false, ct)
                : null;
            if (axisReader is not null) readers.Add(axisReader);
            StoredSeries points = new(), known = new();
            foreach (var run in runs)
            {
                if (axisReader is not null) await axisReader.ReadAsync(run.Id, known, ct);
                for (int k = 0; k < request.Keys.Count; k++)
                {
                    var key = request.Keys[k];
                    long after = request.After?.GetValueOrDefault(key, long.MinValue) ?? long.MinValue;
                    await readers[k].ReadAsync(run.Id, points, ct, after);
                    var origin = origins.TryGetValue(run.Id, out var first) ? first : points.Times.FirstOrDefault();
                    result.Add(Place(run, key, points, known, axis, origin, after, request));
                }
            }
        }
        finally
        {
            foreach (var r in readers) await r.DisposeAsync();
        }
        return result;
    }

    private static Series Place(Run run, string key, StoredSeries points, StoredSeries known, string axis, DateTime origin, long after, SeriesRequest request)
    {
        bool timed = axis is SeriesAxes.Relative or SeriesAxes.Wall;

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

        var kept = request.Points == 0 ? points.Points : Downsampling.MinMax(points.Points, request.Points);
        // The downsampled points are stored ones, in step order: walk forward to each one's index.
        var keptIndexes = new int[kept.Count];
        for (int k = 0, i = 0; k < kept.Count; k++)
        {
            while (points.Points[i].Step != kept[k].Step) i++;
            keptIndexes[k] = i;
        }
        var placed = Placed(XAt(keptIndexes), keptIndexes);

        double? divergedX = null, divergedY = null;
        if (run.DivergedAtStep is { } at && points.Points.Count > 0)
        {
            double dx = XOf([at])[0];
            divergedX = double.IsFinite(dx) ? dx : null;
            // The last value stored before it: the loss at the step itself was not finite and never stored.
            int last = points.Points.FindLastIndex(p => p.Step <= at);
            divergedY = last >= 0 ? points.Points[last].Value : null;
        }
        (double[], double[])? full = null;
        if (request.Full)
        {
            var all = Placed(XAt(All(points)), All(points));
            full = (all.X, [.. all.Indexes.Select(i => points.Points[i].Value)]);
        }
        return new Series(run.Id, key, points.Points.Count,
            [.. placed.Indexes.Select(i => points.Points[i].Step)], placed.X, [.. placed.Indexes.Select(i => points.Points[i].Value)],
            request.Times ? [.. placed.Indexes.Select(i => points.Times[i])] : null,
            points.Points.Count > 0 ? points.Points[^1].Step : after, divergedX, divergedY, full);
    }

    private static int[] All(StoredSeries s) => [.. Enumerable.Range(0, s.Points.Count)];

    /// <summary>The points the axis could place (finite x), with their indexes in the stored series.</summary>
    private static (double[] X, int[] Indexes) Placed(double[] x, int[] indexes)
    {
        if (x.All(double.IsFinite)) return (x, indexes);
        var keep = Enumerable.Range(0, x.Length).Where(i => double.IsFinite(x[i])).ToArray();
        return ([.. keep.Select(i => x[i])], [.. keep.Select(i => indexes[i])]);
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
