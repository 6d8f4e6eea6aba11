using Dashboard.Data;
using Dashboard.Training.Models;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Web.Queries;

/// <summary>
/// Sizes the runs stored before runs carried their model size (migration 0011), once at start: the launcher sizes new
/// runs itself. A spec that does not build stays unsized and shows no size.
/// </summary>
public static class RunSizes
{
    public static async Task BackfillAsync(IDbContextFactory<DashboardDb> dbs, CancellationToken ct = default)
    {
        long after = 0;
        while (true)
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var runs = await db.Runs.Where(r => r.ParameterCount == null && r.Id > after).OrderBy(r => r.Id).Take(500).ToListAsync(ct);
            if (runs.Count == 0) return;
            foreach (var run in runs)
                if (ModelSizes.TryOf(run.Spec) is { } size) (run.ParameterCount, run.FlopsPerSample) = (size.ParameterCount, size.FlopsPerSample);
            await db.SaveChangesAsync(ct);
            after = runs[^1].Id;
        }
    }
}
