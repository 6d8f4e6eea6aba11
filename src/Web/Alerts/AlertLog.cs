using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Web.Alerts;

/// <summary>A user's latest alerts with their webhook posts: the settings page's delivery log and the API's.</summary>
public static class AlertLog
{
    public static Task<List<AlertDelivery>> LatestAsync(DashboardDb db, string owner, int limit, CancellationToken ct = default) =>
        db.AlertDeliveries.AsNoTracking().Include(d => d.Attempts).Where(d => d.Owner == owner)
            .OrderByDescending(d => d.Id).Take(limit).AsSplitQuery().ToListAsync(ct);
}
