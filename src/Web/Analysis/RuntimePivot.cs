using System.Globalization;
using System.Text.Json.Nodes;
using Dashboard.Data;
using Dashboard.Data.Metrics;
using Dashboard.Training.Specs;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Web.Analysis;

/// <param name="Rows">The parameter whose values are the table's rows (a dotted spec key, e.g. batch_size).</param>
/// <param name="Cols">The parameter whose values are its columns (e.g. num_gpu, dataset.n).</param>
/// <param name="Baseline">The cell speed-ups are measured against, "row|col" as the values are written; the first cell when empty.</param>
public sealed record PivotRequest(IReadOnlyList<long> RunIds, string Rows, string Cols, string Measure = "epoch_time", string? Baseline = null);

/// <summary>One cell: the runs in it (seeds of one setting), the mean of the measure over them, its speed-up and the ideal one.</summary>
public sealed record PivotCell(string Row, string Col, int Runs, double Mean, double Std, double? SpeedUp, double? Ideal);

public sealed record PivotResult(PivotRequest Request, IReadOnlyList<string> RowValues, IReadOnlyList<string> ColValues,
    IReadOnlyList<PivotCell> Cells, string BaselineCell, IReadOnlyList<string> Skipped)
{
    public PivotCell? Cell(string row, string col) => Cells.FirstOrDefault(c => c.Row == row && c.Col == col);
}

/// <summary>
/// The runtime studies' table (notebooks 000 and 001): a sweep's runs pivoted by two of their parameters, each cell
/// the mean over its seeds of one measure, with the speed-up against a chosen cell and, where the columns are numbers
/// (GPUs, batch sizes), the ideal speed-up of perfect scaling along them.
/// </summary>
public static class RuntimePivot
{
    /// <summary>epoch_time: the mean epoch (steps and evaluation); runtime: the run's elapsed seconds at its end;
    /// samples_per_s: samples trained over elapsed seconds (evaluation included); steps: parameter updates.</summary>
    public static readonly string[] Measures = ["epoch_time", "runtime", "samples_per_s", "steps"];

    public static Dictionary<string, string[]> Check(PivotRequest r)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(r.Rows)) errors["rows"] = ["required: a parameter of the runs, e.g. batch_size"];
        if (string.IsNullOrWhiteSpace(r.Cols)) errors["cols"] = ["required: a parameter of the runs, e.g. num_gpu"];
        if (!Measures.Contains(r.Measure)) errors["measure"] = [$"one of {string.Join(", ", Measures)}"];
        return errors;
    }

    public static async Task<PivotResult> RunAsync(IDbContextFactory<DashboardDb> dbs, PivotRequest request, CancellationToken ct)
    {
        List<Run> runs;
        List<MetricSummary> summaries;
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            runs = await db.Runs.AsNoTracking().Where(r => request.RunIds.Contains(r.Id)).OrderBy(r => r.Id).ToListAsync(ct);
            string[] keys = ["elapsed", "samples", "updates"];
            summaries = await db.MetricSummaries.AsNoTracking().Where(s => request.RunIds.Contains(s.RunId) && keys.Contains(s.Key)).ToListAsync(ct);
        }
        var last = summaries.ToDictionary(s => (s.RunId, s.Key), s => s.LastValue);
        var epochTimes = request.Measure == "epoch_time"
            ? (await MetricSeries.ReadAsync(dbs, new SeriesRequest(runs, [MetricCatalogue.EpochTime.Name], Points: 100_000), ct))
                .ToDictionary(s => s.RunId, s => s.Y.Length == 0 ? double.NaN : s.Y.Average())
            : [];

        var skipped = new List<string>();
        var values = new List<(string Row, string Col, double Value)>();
        foreach (var run in runs)
        {
            var spec = SpecPaths.Flatten(JsonNode.Parse(run.Spec));
            if (!spec.TryGetValue(request.Rows, out var row) || !spec.TryGetValue(request.Cols, out var col))
            {
                skipped.Add($"{run.DisplayName}: no {(spec.ContainsKey(request.Rows) ? request.Cols : request.Rows)}");
                continue;
            }
            double elapsed = last.GetValueOrDefault((run.Id, "elapsed"), double.NaN);
            double value = request.Measure switch
            {
                "epoch_time" => epochTimes.GetValueOrDefault(run.Id, double.NaN),
                "runtime" => elapsed,
                "samples_per_s" => last.GetValueOrDefault((run.Id, "samples"), double.NaN) / elapsed,
                _ => last.GetValueOrDefault((run.Id, "updates"), double.NaN),
            };
            if (!double.IsFinite(value)) { skipped.Add($"{run.DisplayName}: no {request.Measure} yet"); continue; }
            values.Add((row, col, value));
        }

        var rowValues = Ordered(values.Select(v => v.Row));
        var colValues = Ordered(values.Select(v => v.Col));
        var means = values.GroupBy(v => (v.Row, v.Col)).ToDictionary(g => g.Key, g =>
        {
            double mean = g.Average(v => v.Value);
            return (Mean: mean, Std: Math.Sqrt(g.Average(v => (v.Value - mean) * (v.Value - mean))), Runs: g.Count());
        });
        var baseline = request.Baseline is { } b && b.Split('|') is [var br, var bc] && means.ContainsKey((br, bc))
            ? (br, bc) : means.Keys.OrderBy(k => rowValues.IndexOf(k.Row)).ThenBy(k => colValues.IndexOf(k.Col)).FirstOrDefault();
        double? Base() => means.TryGetValue(baseline, out var m) ? m.Mean : null;
        // Times and steps fall as a setting scales; throughput rises.
        double? SpeedUp(double mean) => Base() is not { } bv ? null : request.Measure == "samples_per_s" ? mean / bv : bv / mean;
        double? Ideal(string col) =>
            AnalysisRuns.Number(col) is { } c && AnalysisRuns.Number(baseline.Item2) is { } c0 && c0 != 0 ? c / c0 : null;
        var cells = means.Select(kv => new PivotCell(kv.Key.Row, kv.Key.Col, kv.Value.Runs, kv.Value.Mean, kv.Value.Std, SpeedUp(kv.Value.Mean), Ideal(kv.Key.Col)))
            .OrderBy(c => rowValues.IndexOf(c.Row)).ThenBy(c => colValues.IndexOf(c.Col)).ToList();
        return new PivotResult(request, rowValues, colValues, cells, means.Count == 0 ? "" : $"{baseline.Item1}|{baseline.Item2}", skipped);
    }

    /// <summary>Numbers in numeric order, else text in ordinal order.</summary>
    private static List<string> Ordered(IEnumerable<string> values)
    {
        var distinct = values.Distinct().ToList();
        return distinct.All(v => AnalysisRuns.Number(v) is not null)
            ? [.. distinct.OrderBy(v => AnalysisRuns.Number(v))]
            : [.. distinct.Order(StringComparer.Ordinal)];
    }
}
