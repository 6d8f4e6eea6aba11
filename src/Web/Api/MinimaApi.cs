using Dashboard.Data;
using Dashboard.Training.Engine;
using Dashboard.Training.Worker;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Web.Api;

/// <summary>A run's minima for the distance regulariser: those it captured (each with the minima_from entry naming it) and those it loaded.</summary>
public static class MinimaApi
{
    public static void MapMinimaApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/runs/{id:long}/minima", async (long id, StorageOptions storage, IDbContextFactory<DashboardDb> dbs, CancellationToken ct) =>
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var run = await db.Runs.AsNoTracking().Where(r => r.Id == id).Select(r => new { r.Project, r.Number }).FirstOrDefaultAsync(ct);
            if (run is null) return Results.NotFound();
            var captured = MinimaSources.CapturedBy(storage, id, run.Project, run.Number);
            var loaded = LoadedMinimum.Read(storage.CheckpointDir(id));
            return Results.Ok(new
            {
                captured = captured.Select(c => new { epoch = c.Epoch, file = c.File, size = c.Size, written = c.Written, reference = c.Reference }),
                loaded = loaded.Select(m => new { reference = m.Reference, file = m.File, source_run = m.SourceRun, epoch = m.Epoch, stored_as = m.StoredAs }),
            });
        });
    }
}
