using Dashboard.Data;
using Dashboard.Training.Specs;
using Dashboard.Web.Alerts;
using Dashboard.Web.Auth;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Web.Api;

/// <summary>The caller's own alert rules and the log of what they sent, as on the Alerts settings page.</summary>
public static class AlertsApi
{
    public static void MapAlertsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/alerts", async (HttpContext http, IDbContextFactory<DashboardDb> dbs, CancellationToken ct) =>
        {
            var owner = http.User.Name();
            await using var db = await dbs.CreateDbContextAsync(ct);
            var rules = await db.AlertRules.AsNoTracking().Where(r => r.Owner == owner).OrderBy(r => r.Id).ToListAsync(ct);
            return Results.Ok(rules.Select(Shown));
        });

        // A bad field is a 400 naming it ("errors": {"webhook_url": [...]}), and nothing is stored.
        app.MapPost("/api/alerts", async (AlertRuleInput input, HttpContext http, IDbContextFactory<DashboardDb> dbs, CancellationToken ct) =>
        {
            var errors = new SpecErrors();
            if (input.Check(http.User.Name(), errors) is not { } rule)
                return Results.ValidationProblem(errors.ToDictionary(), title: "The alert rule is invalid.");
            await using var db = await dbs.CreateDbContextAsync(ct);
            db.AlertRules.Add(rule);
            await db.SaveChangesAsync(ct);
            return Results.Created($"/api/alerts/{rule.Id}", Shown(rule));
        });

        // A test post to the rule's webhook, logged with the others: 202 with its id, 404 (not the caller's), 400 (no webhook).
        app.MapPost("/api/alerts/{id:long}/test", async (long id, HttpContext http, IDbContextFactory<DashboardDb> dbs, Hangfire.IBackgroundJobClient jobs, CancellationToken ct) =>
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var rule = await db.AlertRules.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id && r.Owner == http.User.Name(), ct);
            if (rule is null) return Results.NotFound();
            if (rule.WebhookUrl is null)
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["webhook_url"] = ["this rule has no webhook to test"] });
            var delivery = await AlertPing.SendAsync(db, jobs, id, rule.Owner, ct);
            return Results.Accepted($"/api/alerts/deliveries", new { delivery_id = delivery!.Id });
        });

        app.MapDelete("/api/alerts/{id:long}", async (long id, HttpContext http, IDbContextFactory<DashboardDb> dbs, CancellationToken ct) =>
        {
            var owner = http.User.Name();
            await using var db = await dbs.CreateDbContextAsync(ct);
            return await db.AlertRules.Where(r => r.Id == id && r.Owner == owner).ExecuteDeleteAsync(ct) == 1 ? Results.NoContent() : Results.NotFound();
        });

        // Newest first, each with its posts to the webhook.
        app.MapGet("/api/alerts/deliveries", async (HttpContext http, IDbContextFactory<DashboardDb> dbs, int? limit, CancellationToken ct) =>
        {
            var owner = http.User.Name();
            await using var db = await dbs.CreateDbContextAsync(ct);
            var deliveries = await AlertLog.LatestAsync(db, owner, Math.Clamp(limit ?? 100, 1, 1000), ct);
            return Results.Ok(deliveries.Select(d => new
            {
                d.Id, d.RuleId, d.RunId, d.Event, d.Summary, d.Url, d.Browser, d.Status, d.CreatedAt, d.DeliveredAt,
                attempts = d.Attempts.OrderBy(a => a.Number).Select(a => new { a.Number, a.Time, a.StatusCode, a.Error, a.DurationMs }),
            }));
        });
    }

    // The secret is never sent back: whether there is one is enough.
    private static object Shown(AlertRule r) => new
    {
        r.Id, r.Project, r.OnlyMine, events = r.EventList, metric = r.MetricKey, r.Comparison, r.Threshold,
        r.WebhookUrl, has_secret = r.Secret is not null, r.Browser, r.Enabled, r.CreatedAt,
    };
}
