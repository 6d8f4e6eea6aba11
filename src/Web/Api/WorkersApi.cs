using Dashboard.Data;
using Dashboard.Training.Worker;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Web.Api;

/// <summary>GET /api/workers: every worker host with its devices, slots, heartbeat and the runs it trains now.</summary>
public static class WorkersApi
{
    public sealed record WorkerView(string Name, string Devices, int Slots, int Busy, DateTime StartedAt, DateTime HeartbeatAt,
        bool Alive, double SecondsSinceHeartbeat, IReadOnlyList<string> Runs);

    public static async Task<List<WorkerView>> ListAsync(DashboardDb db, CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        var hosts = await db.WorkerHosts.AsNoTracking().OrderBy(w => w.Name).ToListAsync(ct);
        var training = await db.RunAttempts.AsNoTracking().Where(a => a.EndedAt == null)
            .Join(db.Runs, a => a.RunId, r => r.Id, (a, r) => new { a.Host, r.Project, r.Number, r.Status })
            .Where(x => x.Status == RunStatus.Running).ToListAsync(ct);
        return hosts.Select(h => new WorkerView(h.Name, h.Devices, h.Slots, h.Busy, h.StartedAt, h.HeartbeatAt,
            now - h.HeartbeatAt < WorkerHeartbeat.LostAfter, Math.Round((now - h.HeartbeatAt).TotalSeconds, 1),
            training.Where(t => t.Host == h.Name).Select(t => Run.NameOf(t.Project, t.Number)).ToList())).ToList();
    }

    public static void MapWorkersApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/workers", async (IDbContextFactory<DashboardDb> dbs, CancellationToken ct) =>
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            return Results.Ok(await ListAsync(db, ct));
        });
    }
}
