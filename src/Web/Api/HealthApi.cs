using Dashboard.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Dashboard.Web.Api;

/// <summary>GET /health: 200 "Healthy" when the database answers, 503 otherwise (load balancers, compose healthchecks).</summary>
public static class HealthApi
{
    public static void AddDashboardHealth(this IServiceCollection services) =>
        services.AddHealthChecks().AddCheck<DatabaseCheck>("database");

    public static void MapDashboardHealth(this IEndpointRouteBuilder app) => app.MapHealthChecks("/health").AllowAnonymous();

    private sealed class DatabaseCheck(IDbContextFactory<DashboardDb> dbs) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
        {
            try
            {
                await using var db = await dbs.CreateDbContextAsync(ct);
                return await db.Database.CanConnectAsync(ct)
                    ? HealthCheckResult.Healthy()
                    : HealthCheckResult.Unhealthy("the database does not answer");
            }
            catch (Exception e)
            {
                return HealthCheckResult.Unhealthy("the database does not answer", e);
            }
        }
    }
}
