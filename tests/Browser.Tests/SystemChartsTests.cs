using Microsoft.Playwright;

namespace Dashboard.Browser.Tests;

/// <summary>In Debian's Chromium: a training run's System charts appear and grow live, and follow the page's x-axis.</summary>
public sealed class SystemChartsTests() : ChromiumTest(new Dictionary<string, string> { ["Worker:SystemMetricsSeconds"] = "0.5" })
{
    private static string Xs(string chart) => $"(document.getElementById('{chart}')?.data?.[0]?.x ?? [])";

    [Fact]
    public async Task A_training_run_s_cpu_and_memory_are_charted_live_beside_the_loss_on_step_or_training_time()
    {
        using var http = new HttpClient { BaseAddress = new Uri(App.BaseUrl) };
        var launched = await http.PostAsync("/api/experiments", new StringContent("""
            { "name": "sys", "dataset": { "name": "hyperspheres", "n": 8000, "p": 256, "d": 4 },
              "model": { "name": "mlp", "layer_size": [512, 512] }, "batch_size": 32, "max_epochs": 40 }
            """, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.Created, launched.StatusCode);

        var page = await NewPageAsync();
        await page.GotoAsync(App.BaseUrl + "/runs/1");
        // Not sampled yet when the page opens: the System group arrives live with the first samples, and grows.
        await page.WaitForFunctionAsync($"() => {Xs("sys-cpu-chart")}.length >= 2", null, new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("#system-help")).ToContainTextAsync("with several slots");
        int before = await page.EvaluateAsync<int>($"() => {Xs("sys-cpu-chart")}.length");
        await page.WaitForFunctionAsync($"() => {Xs("sys-cpu-chart")}.length > {before}", null, new() { Timeout = 30_000 });
        var memory = await page.EvaluateAsync<string[]>("() => document.getElementById('sys-memory-chart').data.map(t => t.name)");
        Assert.Equal(["sys/rss", "sys/host_mem", "sys/host_mem_total"], memory);
        // On the step axis the samples sit at steps the loss has.
        var lastSysStep = await page.EvaluateAsync<double>($"() => {{ const x = {Xs("sys-cpu-chart")}; return x[x.length - 1]; }}");
        Assert.Equal(Math.Floor(lastSysStep), lastSysStep);

        // Training time: every chart moves to the run's seconds (far fewer than its steps), and the address keeps it.
        await page.SelectOptionAsync("#run-x-axis", "elapsed");
        // The address changes in place (history.replaceState): no load to wait for.
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/runs/1\\?x=elapsed$"));
        await page.WaitForFunctionAsync($"() => {{ const x = {Xs("sys-cpu-chart")}, l = {Xs("loss-chart")}; return x.length > 0 && l.length > 0 && l[l.length - 1] < 120 && x[x.length - 1] < 120 && !Number.isInteger(l[l.length - 1]); }}",
            null, new() { Timeout = 15_000 });
        Assert.Equal("training time (s)", await page.EvaluateAsync<string>("() => document.getElementById('sys-cpu-chart').layout.xaxis.title.text"));
        await ScreenshotAsync(page, "run-page-system");

        // Stopped before the app is: a run still training would hold the host's shutdown.
        await http.PostAsync("/api/runs/1/cancel", null);
        await Assertions.Expect(page.Locator("#run-status .badge")).ToHaveAttributeAsync("data-status", "cancelled", new() { Timeout = 30_000 });
        Assert.Empty(ConsoleErrors);
    }
}
