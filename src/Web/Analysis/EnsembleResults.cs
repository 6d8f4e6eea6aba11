using System.Globalization;
using System.Text;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Web.Analysis;

/// <summary>What the ensemble pages and their API share: reading a stored ensemble with its members, and its CSV.</summary>
public static class EnsembleResults
{
    /// <summary>The ensemble with its members (and their runs) in the order chosen; null when there is none.</summary>
    public static async Task<Ensemble?> LoadAsync(DashboardDb db, long id, CancellationToken ct)
    {
        var ensemble = await db.Ensembles.AsNoTracking().Include(e => e.Members).ThenInclude(m => m.Run).FirstOrDefaultAsync(e => e.Id == id, ct);
        if (ensemble is not null) ensemble.Members = [.. ensemble.Members.OrderBy(m => m.Position)];
        return ensemble;
    }

    /// <summary>Newest first, with the number of members each has.</summary>
    public static async Task<List<(Ensemble Ensemble, int Members)>> ListAsync(DashboardDb db, int limit, CancellationToken ct) =>
        [.. (await db.Ensembles.AsNoTracking().OrderByDescending(e => e.Id).Take(limit)
            .Select(e => new { Ensemble = e, Members = e.Members.Count }).ToListAsync(ct)).Select(x => (x.Ensemble, x.Members))];

    /// <summary>The finished runs of a sweep that have checkpoints to evaluate (completed, or stopped early), in id order.</summary>
    public static Task<long[]> OfExperimentAsync(DashboardDb db, long experiment, CancellationToken ct) =>
        db.Runs.Where(r => r.ExperimentId == experiment && (r.Status == RunStatus.Completed || r.Status == RunStatus.Stopped))
            .OrderBy(r => r.Id).Select(r => r.Id).ToArrayAsync(ct);

    /// <summary>One row per member and one for the ensemble (run empty): full precision, empty where not known.</summary>
    public static string Csv(Ensemble e)
    {
        var csv = new StringBuilder("row,run_id,run,checkpoint,accuracy,loss,ap\n");
        foreach (var m in e.Members)
            csv.Append(CultureInfo.InvariantCulture, $"member,{m.RunId},{m.Run?.DisplayName},{m.CheckpointFile},{R(m.Accuracy)},{R(m.Loss)},{R(m.Ap)}\n");
        csv.Append(CultureInfo.InvariantCulture, $"ensemble,,,{e.Checkpoint},{R(e.Accuracy)},{R(e.Loss)},{R(e.Ap)}\n");
        return csv.ToString();
    }

    /// <summary>A figure as the page shows it: four decimals, or a dash where there is none.</summary>
    public static string Fmt(double? v) => v is { } d ? d.ToString("0.0000", CultureInfo.InvariantCulture) : "–";

    private static string R(double? v) => v is { } d ? d.ToString("R", CultureInfo.InvariantCulture) : "";
}
