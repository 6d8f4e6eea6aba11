using System.Globalization;
using System.Text.Json.Nodes;
using Dashboard.Data;
using Dashboard.Data.Metrics;
using Dashboard.Training.Specs;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Web.Analysis;

/// <summary>One run of a sweep for the hyperparameter views: its swept values (as text) and its metric value.</summary>
public sealed record ParameterRun(long Id, string Name, IReadOnlyDictionary<string, string> Values, double Metric);

/// <summary>How much of the metric's spread one parameter explains.</summary>
/// <param name="Explained">η²: the share of the metric's variance between the runs' groups by this parameter's value.</param>
/// <param name="Groups">The groups it was computed over (a number with many values is cut into quartiles).</param>
public sealed record ParameterEffect(string Key, double Explained, int Groups, bool Numeric);

/// <summary>
/// A sweep's runs with the parameters it swept and one final or best metric, for parallel coordinates, scatter plots
/// and a ranking of the parameters by their effect. The ranking is the variance explained per parameter (one-way
/// η²: between-group over total sum of squares, the runs grouped by the parameter's value; numbers with more than
/// six values grouped by quartile): simple, and honest about what it is, a main effect seen one parameter at a time,
/// blind to interactions (which W&B's random-forest importance tries to catch, at the price of a model to trust).
/// </summary>
public static class ParameterEffects
{
    public static async Task<(IReadOnlyList<ParameterRun> Runs, IReadOnlyList<string> Keys)> ReadAsync(
        IDbContextFactory<DashboardDb> dbs, IReadOnlyList<long> runIds, string metric, string stat, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var runs = await db.Runs.AsNoTracking().Where(r => runIds.Contains(r.Id)).OrderBy(r => r.Id).ToListAsync(ct);
        var summaries = await db.MetricSummaries.AsNoTracking().Where(s => runIds.Contains(s.RunId) && s.Key == metric).ToDictionaryAsync(s => s.RunId, ct);
        bool higher = MetricCatalogue.Describe(metric).HigherIsBetter;
        var list = new List<ParameterRun>();
        foreach (var run in runs)
        {
            if (!summaries.TryGetValue(run.Id, out var s)) continue;
            double value = stat == "best" ? (higher ? s.MaxValue : s.MinValue) : s.LastValue;
            list.Add(new ParameterRun(run.Id, run.DisplayName, SpecPaths.Flatten(JsonNode.Parse(run.Params)), value));
        }
        // The swept parameters: those that take more than one value among these runs (a seed sweep included).
        var keys = list.SelectMany(r => r.Values.Keys).Distinct(StringComparer.Ordinal)
            .Where(k => list.Select(r => r.Values.GetValueOrDefault(k)).Distinct().Count() > 1).Order(StringComparer.Ordinal).ToList();
        return (list, keys);
    }

    /// <summary>Each parameter's η² on the runs with a finite metric, highest first.</summary>
    public static IReadOnlyList<ParameterEffect> Rank(IReadOnlyList<ParameterRun> runs, IReadOnlyList<string> keys)
    {
        var finite = runs.Where(r => double.IsFinite(r.Metric)).ToList();
        if (finite.Count < 3) return [];
        double mean = finite.Average(r => r.Metric);
        double total = finite.Sum(r => (r.Metric - mean) * (r.Metric - mean));
        var effects = new List<ParameterEffect>();
        foreach (var key in keys)
        {
            var (groupOf, numeric) = Grouping(finite.Select(r => r.Values.GetValueOrDefault(key) ?? "").ToList());
            var groups = finite.GroupBy(r => groupOf(r.Values.GetValueOrDefault(key) ?? "")).ToList();
            double between = groups.Sum(g => g.Count() * Math.Pow(g.Average(r => r.Metric) - mean, 2));
            effects.Add(new ParameterEffect(key, total > 0 ? between / total : 0, groups.Count, numeric));
        }
        return [.. effects.OrderByDescending(e => e.Explained).ThenBy(e => e.Key, StringComparer.Ordinal)];
    }

    /// <summary>The group of a value: itself, or for a number with more than six values, its quartile.</summary>
    private static (Func<string, string> GroupOf, bool Numeric) Grouping(IReadOnlyList<string> values)
    {
        var numbers = values.Select(AnalysisRuns.Number).ToList();
        bool numeric = numbers.All(n => n is not null);
        if (!numeric || values.Distinct().Count() <= 6) return (v => v, numeric);
        // Equal counts by rank (a value's first place among the sorted values, so that ties stay together).
        var sorted = numbers.Select(n => n!.Value).Order().ToList();
        return (v => $"q{Math.Min(3, 4 * sorted.IndexOf(AnalysisRuns.Number(v)!.Value) / sorted.Count) + 1}", true);
    }
}
