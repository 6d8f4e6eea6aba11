using Dashboard.Data;
using Dashboard.Web.Queries;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Web.Api;

/// <summary>A run's checkpoint files, listed and downloaded; only plain file names inside the run's own folder.</summary>
public static class CheckpointsApi
{
    public static void MapCheckpointsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/runs/{id:long}/checkpoints", async (long id, StorageOptions storage, IDbContextFactory<DashboardDb> dbs, CancellationToken ct) =>
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            if (!await db.Runs.AnyAsync(r => r.Id == id, ct)) return Results.NotFound();
            return Results.Ok(CheckpointFiles.List(storage, id).Select(f => new { name = f.Name, size = f.Size, modified = f.Modified, url = $"/api/runs/{id}/checkpoints/{f.Name}" }));
        });

        app.MapGet("/api/runs/{id:long}/checkpoints/{name}", (long id, string name, StorageOptions storage) =>
        {
            // The name is matched, never combined as given: no separators, no "..", nothing outside the run's folder.
            if (!CheckpointFiles.IsName(name)) return BadQuery.Field("name", "not a checkpoint file name");
            var dir = Path.GetFullPath(storage.CheckpointDir(id)) + Path.DirectorySeparatorChar;
            var path = Path.GetFullPath(Path.Combine(dir, name));
            if (!path.StartsWith(dir, StringComparison.Ordinal) || !File.Exists(path)) return Results.NotFound();
            return Results.File(path, name.EndsWith(".json") ? "application/json" : "application/octet-stream", $"run{id}-{name}");
        });
    }
}
