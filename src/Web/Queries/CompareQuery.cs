using System.Text.Json.Nodes;
using Dashboard.Data;
using Dashboard.Data.Metrics;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Web.Queries;

/// <summary>
/// One metric of several runs against a chosen x-axis, for the compare page and /api/compare: each run's series
/// min/max downsampled, and optionally the runs grouped by one or more parameters (width x dataset size, averaged over
/// seeds) into mean ± std bands.
/// </summary>
public static class CompareQuery
{
    public const int MaxRuns = 200;
    public const int DefaultPoints = 1500;
    public const int MaxPoints = 100_000;

    /// <summary>
    /// Points per run the page asks for: all 1,500 for a few runs, fewer each for many, so that a hundred runs draw
    /// about as fast as twenty. Min/max downsampling keeps every spike at any count.
    /// </summary>
    public static int PointsFor(int runs) => Math.Clamp(40_000 / Math.Max(runs, 1), 200, DefaultPoints);

    public sealed record Keys(List<string> Metrics, List<string> Params);

    public sealed record ComparedRun(Run Run, Series Series);

    /// <param name="Values">The group's value of each grouping key (null where its runs do not set it).</param>
    /// <param name="Runs">How many runs are in the group: what its legend entry counts.</param>
    public sealed record Group(string Label, IReadOnlyList<JsonNode?> Values, long[] RunIds, SeriesBands.Band Band)
    {
        public int Runs => RunIds.Length;
    }

    public sealed record Comparison(string Key, string Axis, IReadOnlyList<ComparedRun> Runs, IReadOnlyList<Group> Groups);

    /// <summary>The runs of the ids, in the order given, and the ids no run has.</summary>
    public static async Task<(List<Run> Found, List<long> Missing)> FindAsync(DashboardDb db, IReadOnlyList<long> ids, CancellationToken ct)
    {
        var found = await db.Runs.AsNoTracking().Where(r => ids.Contains(r.Id)).ToDictionaryAsync(r => r.Id, ct);
        return ([.. ids.Where(found.ContainsKey).Select(id => found[id])], [.. ids.Where(id => !found.ContainsKey(id))]);
    }

    /// <summary>The grouping keys of ?group=model.width,dataset.size, each once.</summary>
    public static List<string> GroupKeys(string? text) =>
        [.. (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct()];

    public static async Task<Comparison> RunAsync(IDbContextFactory<DashboardDb> dbs, IReadOnlyList<Run> runs, string key, string axis, int points,
        IReadOnlyList<string> groupBy, CancellationToken ct)
    {
        bool grouped = groupBy.Count > 0;
        var series = (await MetricSeries.ReadAsync(dbs, new SeriesRequest(runs, [key], axis, points, Full: grouped), ct)).ToDictionary(s => s.RunId);
        var compared = runs.Select(r => new ComparedRun(r, series[r.Id])).ToList();
        if (!grouped) return new(key, axis, compared, []);

        var groups = runs
            .Select(r => (Run: r, Values: groupBy.Select(g => RunParameters.Of(r).GetValueOrDefault(g)).ToList()))
            .GroupBy(r => string.Join("\u001f", r.Values.Select(RunParameters.Json)))
            .Select(g => (g.First().Values, Runs: g.Select(x => x.Run).ToList()))
            .OrderBy(g => g.Values, ValuesOrder.Instance)
            .Select(g => new Group(
                string.Join(" · ", groupBy.Select((k, i) => $"{k} = {(g.Values[i] is null ? "(not set)" : RunParameters.Display(g.Values[i]))}")),
                g.Values, [.. g.Runs.Select(r => r.Id)],
                SeriesBands.Of([.. g.Runs.Select(r => series[r.Id].Full!.Value)], points)))
            .ToList();
        return new(key, axis, compared, groups);
    }

    /// <summary>Numbers by value, then anything else by its JSON text: groups read 8, 32, 128, not 128, 32, 8.</summary>
    private sealed class ValuesOrder : IComparer<List<JsonNode?>>
    {
        public static readonly ValuesOrder Instance = new();

        public int Compare(List<JsonNode?>? a, List<JsonNode?>? b)
        {
            for (int i = 0; i < Math.Min(a!.Count, b!.Count); i++)
            {
                double x = Number(a[i]), y = Number(b[i]);
                int c = x.CompareTo(y);
                if (c == 0) c = string.CompareOrdinal(RunParameters.Json(a[i]), RunParameters.Json(b[i]));
                if (c != 0) return c;
            }
            return 0;
        }

        private static double Number(JsonNode? v) => v is JsonValue j && j.TryGetValue<double>(out var d) ? d : double.PositiveInfinity;
    }

    /// <summary>The metrics the runs have stored, and the parameters that tell them apart (the page's selects).</summary>
    public static async Task<Keys> KeysAsync(DashboardDb db, IReadOnlyList<Run> runs, CancellationToken ct)
    {
        var ids = runs.Select(r => r.Id).ToList();
        var metrics = await db.MetricSummaries.Where(s => ids.Contains(s.RunId)).Select(s => s.Key).Distinct().ToListAsync(ct);
        metrics = [.. MetricCatalogue.Ordered(metrics)];
        return new(metrics, RunParameters.Differing(runs, [.. runs.Select(RunParameters.Of)]));
    }
}
