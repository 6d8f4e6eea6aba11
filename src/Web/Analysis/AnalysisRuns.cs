using System.Globalization;
using Dashboard.Data;
using Dashboard.Web.Queries;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Web.Analysis;

/// <summary>What the analysis pages and their API share: the runs they cover, and reading a setting as a number.</summary>
public static class AnalysisRuns
{
    public const int MaxRuns = 2000;

    /// <summary>A sweep's runs, in id order.</summary>
    public static Task<long[]> OfExperimentAsync(DashboardDb db, long experiment, CancellationToken ct) =>
        db.Runs.Where(r => r.ExperimentId == experiment).OrderBy(r => r.Id).Select(r => r.Id).ToArrayAsync(ct);

    /// <summary>A page's runs: its sweep's (experiment=ID) or those it names (runs=1,2,3); none when it names neither.</summary>
    public static async Task<long[]> IdsAsync(DashboardDb db, long? experiment, string? runs, CancellationToken ct) =>
        experiment is { } id ? await OfExperimentAsync(db, id, ct)
        : RunIds.TryParse(runs, MaxRuns, out var ids, out _) ? ids : [];

    /// <summary>A setting's value as a finite number, or null (text, a list, infinity).</summary>
    public static double? Number(string? text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : null;
}
