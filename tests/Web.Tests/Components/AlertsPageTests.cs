using Bunit;
using Dashboard.Web.Components.Pages.Account;

namespace Dashboard.Web.Tests.Components;

/// <summary>The Alerts settings page in its circuit: a bad webhook address is answered at its field and nothing is stored; a good rule is listed.</summary>
public class AlertsPageTests : StoredDbContext
{
    [Fact]
    public void A_webhook_that_is_not_http_or_https_is_refused_beside_its_field_and_a_good_rule_is_added()
    {
        Auth.SetAuthorized("ann");
        SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));
        var page = Render<AlertSettings>();

        page.Find("#alert-project").Change("mnist");
        page.Find("#alert-event-diverged").Change(true);
        page.Find("#alert-webhook-url").Change("ftp://hooks.example.org/x");
        page.Find("#alert-form").Submit();
        page.WaitForAssertion(() => Assert.Contains("http:// or https://", page.Find(".field-error[data-field=webhook_url]").TextContent));
        Assert.Contains("is-invalid", page.Find("#alert-webhook-url").ClassList);
        // What was typed stays, to be corrected; nothing is stored.
        Assert.Equal("ftp://hooks.example.org/x", page.Find("#alert-webhook-url").GetAttribute("value"));
        Assert.Empty(page.FindAll("#alert-rules"));
        using (var db = Db()) Assert.Empty(db.AlertRules);

        page.Find("#alert-threshold").Change("lots");
        page.Find("#alert-form").Submit();
        page.WaitForAssertion(() => Assert.Contains("not a number", page.Find(".field-error[data-field=threshold]").TextContent));
        Assert.Contains("metric", page.Find(".field-error[data-field=metric]").TextContent);

        page.Find("#alert-webhook-url").Change("https://hooks.example.org/x");
        page.Find("#alert-metric").Change("val_accuracy");
        page.Find("#alert-threshold").Change("0.9");
        page.Find("#alert-secret").Change("s3cret");
        page.Find("#alert-form").Submit();
        page.WaitForAssertion(() => Assert.Equal("diverged, val_accuracy > 0.9", page.Find("#alert-rules .rule-when").TextContent));
        Assert.Empty(page.FindAll(".field-error"));
        using (var after = Db())
        {
            var rule = Assert.Single(after.AlertRules);
            Assert.Equal(("ann", "mnist", "https://hooks.example.org/x", "s3cret"), (rule.Owner, rule.Project, rule.WebhookUrl, rule.Secret));
        }

        // "Send test" queues a test post, shown in the delivery log at once.
        page.Find("#alert-rules .ping-rule").Click();
        page.WaitForAssertion(() => Assert.Equal("Test alert for mnist", page.Find("#alert-log .delivery-summary").TextContent));
        Assert.Equal("pending", page.Find("#alert-log .delivery-status").TextContent);
    }
}
