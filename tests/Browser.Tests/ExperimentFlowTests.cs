using Microsoft.Playwright;

namespace Dashboard.Browser.Tests;

/// <summary>In Debian's Chromium: define an experiment in the form, launch it, watch the chart grow, see it complete.</summary>
public sealed class ExperimentFlowTests : ChromiumTest
{
    private static Task<int> LossPoints(IPage page) =>
        page.EvaluateAsync<int>("() => { const c = document.getElementById('loss-chart'); return c && c.data ? c.data[0].x.length : 0; }");

    [Fact]
    public async Task Fill_the_form_launch_watch_the_loss_chart_grow_live_and_see_the_run_complete()
    {
        var page = await NewPageAsync();

        await page.GotoAsync(App.BaseUrl + "/experiments/new");
        // Prerendered first; typing counts once the circuit has taken the form over.
        await Assertions.Expect(page.Locator("#experiment-form")).ToHaveAttributeAsync("data-interactive", "true");
        await page.FillAsync("#f-name", "browser");
        await page.FillAsync("#f-dataset-n", "24000");
        await page.FillAsync("#f-dataset-p", "256");
        await page.FillAsync("#f-dataset-d", "8");
        await page.FillAsync("#f-dataset-classes", "4");
        // The MLP's layers are rows: two of 256 units, tanh.
        var layers = page.Locator("#layers .layer-row");
        for (int i = 0; i < 2; i++)
        {
            await layers.Nth(i).Locator(".layer-size").FillAsync("256");
            await layers.Nth(i).Locator(".layer-act").SelectOptionAsync("tanh");
        }
        await page.FillAsync("#f-optimizer-lr", "-0.05");
        await page.FillAsync("#f-batch_size", "32");
        await page.FillAsync("#f-max_epochs", "6");

        // A bad value is answered beside its field, and nothing is launched.
        await page.ClickAsync("#launch");
        var lrError = page.Locator(".field-error[data-field='optimizer.lr']");
        await Assertions.Expect(lrError).ToContainTextAsync("positive");
        Assert.EndsWith("/experiments/new", page.Url);
        Assert.Equal("-0.05", await page.InputValueAsync("#f-optimizer-lr"));
        Assert.Equal("256", await layers.Nth(1).Locator(".layer-size").InputValueAsync());

        await page.FillAsync("#f-optimizer-lr", "0.05");
        await page.ClickAsync("#launch");
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/runs/\\d+$"));
        await Assertions.Expect(page.Locator("#run-name")).ToHaveTextAsync("browser/00001");

        // Live: while the run trains, the chart gains points without a reload.
        await Assertions.Expect(page.Locator("#run-status .badge")).ToHaveAttributeAsync("data-status", "running", new() { Timeout = 30_000 });
        await page.WaitForFunctionAsync("() => (document.getElementById('loss-chart')?.data?.[0]?.x ?? []).length > 0", null, new() { Timeout = 30_000 });
        var first = await LossPoints(page);
        await page.WaitForFunctionAsync($"() => (document.getElementById('loss-chart')?.data?.[0]?.x ?? []).length > {first}", null, new() { Timeout = 30_000 });
        var second = await LossPoints(page);
        Assert.True(second > first);
        Assert.Equal("running", await page.Locator("#run-status .badge").GetAttributeAsync("data-status"));

        await Assertions.Expect(page.Locator("#run-status .badge")).ToHaveAttributeAsync("data-status", "completed", new() { Timeout = 120_000 });
        // Once the run is done the chart ends at its last step (6 epochs of ceil(19200 / 32) steps); past 3,000
        // points a trace is the server's min/max downsampled series rather than every step.
        await page.WaitForFunctionAsync("() => { const x = (document.getElementById('loss-chart')?.data?.[0]?.x ?? []); return x[x.length - 1] === 3600 && x.length <= 3600 && x.length >= 1000; }", null, new() { Timeout = 10_000 });
        await page.WaitForFunctionAsync("() => (document.getElementById('accuracy-chart')?.data?.[1]?.x ?? []).length === 6", null, new() { Timeout = 10_000 });
        await Assertions.Expect(page.Locator("#run-epoch")).ToHaveTextAsync("6");

        // The runs list shows it completed.
        await page.GotoAsync(App.BaseUrl + "/");
        await Assertions.Expect(page.Locator("#runs tr", new() { HasText = "browser/00001" }).Locator(".badge")).ToHaveTextAsync("completed");

        await page.GotoAsync(App.BaseUrl + "/runs/1");
        await page.WaitForFunctionAsync("() => { const x = (document.getElementById('loss-chart')?.data?.[0]?.x ?? []); return x[x.length - 1] === 3600; }");
        await ScreenshotAsync(page, "run-page");
        Assert.Empty(ConsoleErrors);
    }

    [Fact]
    public async Task Cancel_a_running_run_from_its_page()
    {
        // A tiny model at thousands of steps a second: its page must stay responsive while the curves grow.
        using var http = new HttpClient { BaseAddress = new Uri(App.BaseUrl) };
        var launched = await http.PostAsync("/api/experiments", new StringContent("""
            { "name": "stop", "dataset": { "name": "hyperspheres", "n": 4000, "p": 8, "d": 2, "classes": 2 },
              "model": { "name": "mlp", "layer_size": [8] }, "batch_size": 8, "max_epochs": 5000 }
            """, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.Created, launched.StatusCode);
        var page = await NewPageAsync();

        await page.GotoAsync(App.BaseUrl + "/runs/1");
        await Assertions.Expect(page.Locator("#run-status .badge")).ToHaveAttributeAsync("data-status", "running", new() { Timeout = 30_000 });
        await page.WaitForFunctionAsync("() => (document.getElementById('loss-chart')?.data?.[0]?.x ?? []).length > 0", null, new() { Timeout = 30_000 });

        // Past 3,000 points the trace is replaced by the server's downsampled series: long, but never longer.
        await page.WaitForFunctionAsync("() => { const x = (document.getElementById('loss-chart')?.data?.[0]?.x ?? []); return x[x.length - 1] > 8000; }", null, new() { Timeout = 60_000 });
        Assert.InRange(await LossPoints(page), 100, 3600);
        await page.ClickAsync("#cancel-run");
        await Assertions.Expect(page.Locator("#run-status .badge")).ToHaveAttributeAsync("data-status", "cancelled", new() { Timeout = 15_000 });
        await Assertions.Expect(page.Locator("#cancel-form")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#run-error")).ToHaveTextAsync("cancelled on request");
        Assert.Empty(ConsoleErrors);
    }
}
