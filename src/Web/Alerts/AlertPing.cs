using Dashboard.Data;
using Dashboard.Training.Alerts;
using Hangfire;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Web.Alerts;

/// <summary>"Send test" on the settings page and POST /api/alerts/{id}/test: a test post to a rule's webhook, signed, retried and logged like any alert.</summary>
public static class AlertPing
{
    /// <summary>The test's delivery, queued; null when the rule is not the owner's or has no webhook.</summary>
    public static async Task<AlertDelivery?> SendAsync(DashboardDb db, IBackgroundJobClient jobs, long ruleId, string owner, CancellationToken ct = default)
    {
        var rule = await db.AlertRules.AsNoTracking().FirstOrDefaultAsync(r => r.Id == ruleId && r.Owner == owner, ct);
        if (rule?.WebhookUrl is null) return null;
        var now = DateTime.UtcNow;
        var summary = $"Test alert for {(rule.Project is null ? "every project" : rule.Project)}";
        var delivery = new AlertDelivery
        {
            RuleId = rule.Id, Owner = owner, Event = AlertEvents.Test, Summary = summary, Url = rule.WebhookUrl,
            Payload = AlertPayload.Test(rule, summary, now), CreatedAt = now,
        };
        db.AlertDeliveries.Add(delivery);
        await db.SaveChangesAsync(ct);
        AlertDeliveryJob.Enqueue(jobs, delivery.Id);
        return delivery;
    }
}
