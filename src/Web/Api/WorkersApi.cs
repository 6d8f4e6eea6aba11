using Dashboard.Data;
using Dashboard.Web.Queries;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Web.Api;

/// <summary>GET /api/workers: every worker host with its devices, slots, heartbeat and the runs it trains now.</summary>
public static class WorkersApi
{
    public static void MapWorkersApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/workers", async (IDbContextFactory<DashboardDb> dbs, CancellationToken ct) =>
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            return Results.Ok(await WorkerList.ListAsync(db, ct));
        });
    }
}
