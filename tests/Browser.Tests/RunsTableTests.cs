using System.Net;
using System.Text;
using Microsoft.Playwright;

namespace Dashboard.Browser.Tests;

/// <summary>In Chromium: the runs table through the circuit, at 1,400 px wide.</summary>
public sealed class RunsTableTests : ChromiumTest
{
    private const string Spec = """
        { "name": "table",
          "dataset": { "name": "hyperspheres", "n": 300, "p": 8, "d": 2, "classes": 3 },
          "model": { "name": "mlp", "layer_size": [16] }, "optimizer": { "name": "sgd", "lr": 0.0002028 }, "batch_size": 30, "max_epochs": 4,
          "sweep": { "method": "grid", "parameters": { "optimizer.lr": [0.0002028, 0.3] } } }
        """;

    [Fact]
    public async Task Runs_launched_while_the_page_is_open_appear_finish_and_sort_without_a_reload_and_fit_1400_px()
    {
        var page = await NewPageAsync(new() { ViewportSize = new() { Width = 1400, Height = 900 } });
        await page.GotoAsync(App.BaseUrl + "/");
        await Assertions.Expect(page.Locator("#no-runs")).ToBeVisibleAsync();
        // The page's own marker: a reload would lose it.
        await page.EvaluateAsync("() => window.sameDocument = true");
        // The circuit is up when the table has subscribed; the launch below must come after.
        await page.WaitForFunctionAsync("() => window.Blazor !== undefined");
        await Task.Delay(1000);

        using var http = new HttpClient { BaseAddress = new Uri(App.BaseUrl) };
        var launched = await http.PostAsync("/api/experiments", new StringContent(Spec, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, launched.StatusCode);

        var rows = page.Locator("#runs tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(2, new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#runs .status-badge:text-is('completed')")).ToHaveCountAsync(2, new() { Timeout = 60_000 });
        Assert.True(await page.EvaluateAsync<bool>("() => window.sameDocument === true"));

        // Nothing cut off at 1,400 px: the last columns are inside the window, the table needs no scrolling.
        var box = await page.Locator("#runs th[data-column=duration]").BoundingBoxAsync();
        Assert.NotNull(box);
        Assert.True(box!.X + box.Width <= 1400, $"Duration ends at {box.X + box.Width} px");
        Assert.True(await page.EvaluateAsync<bool>("() => { const t = document.querySelector('.table-responsive'); return t.scrollWidth <= t.clientWidth; }"));
        // A small number on one line: its cell is one line high.
        var lr = page.Locator("#runs td[data-column='optimizer.lr']").Filter(new() { HasText = "0.0002028" });
        await Assertions.Expect(lr).ToHaveCountAsync(1);
        var created = await page.Locator("#runs td[data-column=created]").First.BoundingBoxAsync();
        Assert.True(created!.Height < 40, $"the Created cell is {created.Height} px high");

        // Sorting in place, the address following.
        await page.ClickAsync("a[data-sort='optimizer.lr']");
        await Assertions.Expect(page.Locator("a[data-sort='optimizer.lr']")).ToHaveAttributeAsync("aria-sort", "descending");
        await Assertions.Expect(rows.First.Locator("td[data-column='optimizer.lr']")).ToHaveTextAsync("0.3");
        Assert.Contains("sort=optimizer.lr", page.Url);
        await page.ClickAsync("a[data-sort='optimizer.lr']");
        await Assertions.Expect(rows.First.Locator("td[data-column='optimizer.lr']")).ToHaveTextAsync("0.0002028");
        Assert.Contains("order=asc", page.Url);

        // A mistyped key is named, beside the filter.
        await page.FillAsync("#f-filter", "val_acuracy.max>0.8");
        await page.ClickAsync("#apply-filters");
        await Assertions.Expect(page.Locator(".query-error[data-field=filter]")).ToContainTextAsync("no run has 'val_acuracy.max'");
        Assert.True(await page.EvaluateAsync<bool>("() => window.sameDocument === true"));

        // The shared address opens the same table.
        await page.FillAsync("#f-filter", "optimizer.lr>0.1");
        await page.ClickAsync("#apply-filters");
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        var shared = await NewPageAsync(new() { ViewportSize = new() { Width = 1400, Height = 900 } });
        await shared.GotoAsync(page.Url);
        await Assertions.Expect(shared.Locator("#runs tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(shared.Locator("#f-filter")).ToHaveValueAsync("optimizer.lr>0.1");
        Assert.Empty(ConsoleErrors);
    }
}
