using System.Text;
using Microsoft.Playwright;

namespace Dashboard.Browser.Tests;

/// <summary>In Chromium with notifications allowed: an alert rule made on the Alerts page notifies the open page when its run ends.</summary>
public sealed class AlertNotificationTests : ChromiumTest
{
    // Records every Notification the page constructs (and still constructs it), before any of the page's scripts run.
    private const string RecordNotifications = """
        (() => {
          const Original = window.Notification;
          window.__notifications = [];
          if (!Original) return;
          function Recorded(title, options) {
            window.__notifications.push({ title, body: options && options.body });
            return new Original(title, options);
          }
          Object.defineProperty(Recorded, 'permission', { get: () => Original.permission });
          Recorded.requestPermission = (...a) => Original.requestPermission(...a);
          window.Notification = Recorded;
        })();
        """;

    [Fact]
    public async Task A_run_that_ends_notifies_the_rules_owner_through_the_browser()
    {
        var page = await NewPageAsync(new() { Permissions = ["notifications"] });
        await page.AddInitScriptAsync(RecordNotifications);

        await page.GotoAsync(App.BaseUrl + "/account/alerts");
        await Assertions.Expect(page.Locator("#alert-form")).ToHaveAttributeAsync("data-interactive", "true");
        await page.FillAsync("#alert-project", "notify");
        await page.CheckAsync("#alert-event-finished");
        await page.CheckAsync("#alert-browser");
        await page.ClickAsync("#add-alert");
        await Assertions.Expect(page.Locator("#alert-rules .rule-when")).ToHaveTextAsync("finished");
        // The bar's bell, live on this page, with the browser's permission given.
        await Assertions.Expect(page.Locator("#alert-notifications")).ToHaveAttributeAsync("data-interactive", "true");
        await Assertions.Expect(page.Locator("#alert-notifications")).ToHaveAttributeAsync("data-permission", "granted");

        // Any page will do: the runs list, open while the run trains.
        await page.GotoAsync(App.BaseUrl + "/");
        await Assertions.Expect(page.Locator("#alert-notifications")).ToHaveAttributeAsync("data-interactive", "true");
        using var http = new HttpClient { BaseAddress = new Uri(App.BaseUrl) };
        var launched = await http.PostAsync("/api/experiments", new StringContent("""
            { "name": "notify",
              "dataset": { "name": "hyperspheres", "n": 600, "p": 16, "d": 3, "classes": 3 },
              "model": { "name": "mlp", "layer_size": [32], "act_funcs": ["relu"] },
              "optimizer": { "name": "sgd", "lr": 0.1 }, "batch_size": 30, "max_epochs": 3 }
            """, Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.Created, launched.StatusCode);

        await page.WaitForFunctionAsync("() => window.__notifications.length > 0", null, new() { Timeout = 60_000 });
        var title = await page.EvaluateAsync<string>("() => window.__notifications[0].title");
        Assert.Equal("notify/00001 finished", title);
        await Assertions.Expect(page.Locator("#last-alert")).ToContainTextAsync("notify/00001 finished");
        await Task.Delay(1000);
        Assert.Equal(1, await page.EvaluateAsync<int>("() => window.__notifications.length"));

        // The settings page's log has it, sent to the browser only (the rule has no webhook).
        await page.GotoAsync(App.BaseUrl + "/account/alerts");
        var logged = page.Locator("#alert-log tbody tr");
        await Assertions.Expect(logged).ToHaveCountAsync(1);
        await Assertions.Expect(logged.Locator(".delivery-summary")).ToHaveTextAsync("notify/00001 finished");
        await Assertions.Expect(logged.Locator(".delivery-status")).ToHaveTextAsync("browser only");
        await ScreenshotAsync(page, "alerts");
        Assert.Empty(ConsoleErrors);
    }
}
