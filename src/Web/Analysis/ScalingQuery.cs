using System.Globalization;
using System.Text.Json.Nodes;
using Dashboard.Data;
using Dashboard.Data.Metrics;
using Dashboard.Training.Datasets;
using Dashboard.Training.Specs;
using Dashboard.Web.Queries;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Web.Analysis;

/// <param name="Target">An epoch metric, val_loss by default.</param>
/// <param name="Stat">final (the last value) or best (the lowest, or highest for a metric where higher is better).</param>
/// <param name="X">N (parameters), D (training samples), C (training FLOPs, as logged) or a swept parameter's dotted key.</param>
/// <param name="Law">power (L = A·x^(−a)), offset (+ E) or joint (L(N, D), x ignored).</param>
public sealed record ScalingRequest(IReadOnlyList<long> RunIds, string Target = "val_loss", string Stat = "final", string X = "N", string Law = "offset");

/// <summary>One run's point: its x (and D for the joint law), its target value, its seed; the fitted value when there is a fit.</summary>
public sealed record ScalingRun(long Id, string Name, double X, double N, double D, double Value, string Seed)
{
    public double? Fitted { get; init; }
}

/// <summary>The seed mean and population std of the runs at one x.</summary>
public sealed record ScalingGroup(double X, double Mean, double Std, int Runs);

public sealed record ScalingResult(ScalingRequest Request, IReadOnlyList<ScalingRun> Runs, IReadOnlyList<string> Skipped,
    IReadOnlyList<ScalingGroup> Groups, PowerLawFit? Fit, JointFit? Joint, string? Error);

/// <summary>The scaling analysis of stored runs: their points on the chosen axes, and the law fitted to them.</summary>
public static class ScalingQuery
{
    public static readonly string[] Stats = ["final", "best"], Laws = ["power", "offset", "joint"], Axes = ["N", "D", "C"];

    /// <summary>Problems with the request itself, field by field, before anything is read.</summary>
    public static Dictionary<string, string[]> Check(ScalingRequest r)
    {
        var errors = new Dictionary<string, string[]>();
        if (!MetricCatalogue.Describe(r.Target).PerEpoch && MetricCatalogue.Find(r.Target) is not null)
            errors["target"] = [$"{r.Target} is logged every step; fit an epoch metric such as val_loss"];
        if (!Stats.Contains(r.Stat)) errors["stat"] = [$"one of {string.Join(", ", Stats)}"];
        if (!Laws.Contains(r.Law)) errors["law"] = [$"one of {string.Join(", ", Laws)}"];
        if (string.IsNullOrWhiteSpace(r.X)) errors["x"] = ["N, D, C or a parameter's dotted key such as model.width"];
        return errors;
    }

    public static async Task<ScalingResult> RunAsync(DashboardDb db, ScalingRequest request, CancellationToken ct)
    {
        var runs = await db.Runs.AsNoTracking().Where(r => request.RunIds.Contains(r.Id)).OrderBy(r => r.Id).ToListAsync(ct);
        var keys = new[] { request.Target, MetricCatalogue.Flops.Name };
        var summaries = (await db.MetricSummaries.AsNoTracking().Where(s => request.RunIds.Contains(s.RunId) && keys.Contains(s.Key)).ToListAsync(ct))
            .ToLookup(s => (s.RunId, s.Key));
        bool higher = MetricCatalogue.Describe(request.Target).HigherIsBetter;
        var points = new List<ScalingRun>();
        var skipped = new List<string>();
        foreach (var run in runs)
        {
            if (summaries[(run.Id, request.Target)].FirstOrDefault() is not { } s) { skipped.Add($"{run.DisplayName}: no {request.Target}"); continue; }
            double value = request.Stat == "final" ? s.LastValue : higher ? s.MaxValue : s.MinValue;
            double n = run.ParameterCount ?? double.NaN;
            double d = TrainingSamples(run.Spec);
            double c = summaries[(run.Id, MetricCatalogue.Flops.Name)].FirstOrDefault()?.LastValue ?? double.NaN;
            double x = request.X switch { "N" => n, "D" => d, "C" => c, _ => Parameter(run, request.X) };
            if (request.Law == "joint") x = n;
            if (!double.IsFinite(x) || (request.Law == "joint" && !double.IsFinite(d)))
            {
                skipped.Add($"{run.DisplayName}: no {(request.Law == "joint" ? "N or D" : request.X)}");
                continue;
            }
            points.Add(new ScalingRun(run.Id, run.DisplayName, x, n, d, value, RunEnvironments.Seed(run.Spec).ToString(CultureInfo.InvariantCulture)));
        }
        var groups = points.GroupBy(p => p.X).OrderBy(g => g.Key).Select(g =>
        {
            double mean = g.Average(p => p.Value);
            return new ScalingGroup(g.Key, mean, Math.Sqrt(g.Average(p => (p.Value - mean) * (p.Value - mean))), g.Count());
        }).ToList();
        try
        {
            if (request.Law == "joint")
            {
                var joint = ScalingFit.Joint([.. points.Select(p => new JointPoint(p.N, p.D, p.Value, p.Seed))], withOffset: true);
                return new(request, [.. points.Select(p => p with { Fitted = joint.Predict(p.N, p.D) })], skipped, groups, null, joint, null);
            }
            var fit = ScalingFit.PowerLaw([.. points.Select(p => new ScalingPoint(p.X, p.Value, p.Seed))], request.Law == "offset", xName: request.X);
            return new(request, [.. points.Select(p => p with { Fitted = fit.Predict(p.X) })], skipped, groups, fit, null, null);
        }
        catch (FitException e)
        {
            return new(request, points, skipped, groups, null, null, e.Message);
        }
    }

    /// <summary>One run's curve of the target against its training FLOPs.</summary>
    public sealed record ComputeCurve(long RunId, string Name, double[] Flops, double[] Values);

    /// <summary>
    /// Every run's curve of the target against the FLOPs it had spent, and their lower envelope: the lowest value any
    /// run had reached for each amount of compute (the compute-optimal frontier, drawn over the curves).
    /// </summary>
    public static async Task<(IReadOnlyList<ComputeCurve> Curves, IReadOnlyList<(double Flops, double Value)> Frontier)> FrontierAsync(
        IDbContextFactory<DashboardDb> dbs, IReadOnlyList<long> runIds, string target, CancellationToken ct)
    {
        List<Run> runs;
        await using (var db = await dbs.CreateDbContextAsync(ct))
            runs = await db.Runs.AsNoTracking().Where(r => runIds.Contains(r.Id)).OrderBy(r => r.Id).ToListAsync(ct);
        var series = await MetricSeries.ReadAsync(dbs, new SeriesRequest(runs, [target], Axis: "flops", Points: 400), ct);
        var names = runs.ToDictionary(r => r.Id, r => r.DisplayName);
        var curves = series.Where(s => s.X.Length > 0).Select(s => new ComputeCurve(s.RunId, names[s.RunId], s.X, s.Y)).ToList();
        bool higher = MetricCatalogue.Describe(target).HigherIsBetter;
        // Higher-is-better metrics (accuracy) take the envelope of their negation, turned back.
        var frontier = ScalingFit.Frontier(curves.SelectMany(c => c.Flops.Zip(c.Values, (f, v) => (f, higher ? -v : v))))
            .Select(p => (p.Flops, higher ? -p.Loss : p.Loss)).ToList();
        return (curves, frontier);
    }

    /// <summary>D: the samples a run trains on each epoch (its subset, or its dataset's training split).</summary>
    private static double TrainingSamples(string spec)
    {
        try
        {
            var dataset = SpecJson.Parse(spec).Dataset!;
            return dataset.Size ?? DatasetLoader.SamplesOf(dataset).Train;
        }
        catch (Exception e) when (e is InvalidSpecException or ArgumentException) { return double.NaN; }
    }

    private static double Parameter(Run run, string key)
    {
        var flat = SpecPaths.Flatten(JsonNode.Parse(run.Spec));
        return AnalysisRuns.Number(flat.GetValueOrDefault(key)) ?? double.NaN;
    }
}
