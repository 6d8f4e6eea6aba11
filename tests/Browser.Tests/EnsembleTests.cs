using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;

namespace Dashboard.Browser.Tests;

/// <summary>In Chromium: two runs trained here, selected in the runs table and evaluated as an ensemble.</summary>
public sealed class EnsembleTests : ChromiumTest
{
    [Fact]
    public async Task Two_runs_selected_in_the_runs_table_are_evaluated_as_an_ensemble_beside_each_run()
    {
        using var http = new HttpClient { BaseAddress = new Uri(App.BaseUrl) };
        var launched = await http.PostAsync("/api/experiments", new StringContent("""
            { "name": "ensb", "dataset": { "name": "hyperspheres", "n": 300, "p": 8, "d": 2, "classes": 3, "noise": 0.3 },
              "model": { "name": "mlp", "layer_size": [8] }, "batch_size": 30, "max_epochs": 2, "seed": 1,
              "sweep": { "method": "grid", "parameters": { "optimizer.lr": [0.01, 0.1] } } }
            """, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, launched.StatusCode);
        var ids = (await launched.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_ids").EnumerateArray().Select(e => e.GetInt64()).ToList();

        foreach (var runId in ids)
        {
            var deadline = DateTime.UtcNow.AddSeconds(90);
            string? status;
            while ((status = (await http.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}")).GetProperty("status").GetString()) is "queued" or "running")
            {
                Assert.True(DateTime.UtcNow < deadline, $"run {runId} did not finish");
                await Task.Delay(200);
            }
            Assert.Equal("completed", status);
        }

        var page = await NewPageAsync();
        await page.GotoAsync(App.BaseUrl + "/");
        await page.WaitForFunctionAsync("() => window.Blazor !== undefined");
        await Assertions.Expect(page.Locator("#runs .status-badge:text-is('completed')")).ToHaveCountAsync(2, new() { Timeout = 30_000 });
        // Ticked until the circuit has them: a tick on the prerendered table, before the circuit is up, is lost.
        for (int tries = 0; await page.TextContentAsync("#compare-selected") != "Compare 2 selected"; tries++)
        {
            Assert.True(tries < 30, "the runs table did not take the selection");
            foreach (var runId in ids)
                if (!await page.IsCheckedAsync($".run-select[value='{runId}']")) await page.CheckAsync($".run-select[value='{runId}']");
            await page.WaitForTimeoutAsync(500);
        }
        await page.ClickAsync("#ensemble-selected");

        await Assertions.Expect(page.Locator("#ensemble-runs")).ToHaveValueAsync($"{ids.Min()}, {ids.Max()}", new() { Timeout = 15_000 });
        await page.WaitForSelectorAsync("#ensemble-form[data-interactive=true]");
        await page.ClickAsync("#ensemble-evaluate");
        await page.WaitForSelectorAsync("#ensemble-page[data-status=done]", new() { Timeout = 60_000 });

        var rows = page.Locator("#ensemble-table tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(4);   // the ensemble, the two runs, their mean
        await Assertions.Expect(page.Locator("[data-row=member] a")).ToHaveTextAsync(["ensb/00001", "ensb/00002"]);
        var id = page.Url.Split('/').Last();
        var api = await http.GetFromJsonAsync<JsonElement>($"/api/analysis/ensembles/{id}");
        var loss = Dashboard.Web.Analysis.EnsembleResults.Fmt(api.GetProperty("ensemble").GetProperty("loss").GetDouble());
        await Assertions.Expect(page.Locator("[data-row=ensemble] td").Nth(3)).ToHaveTextAsync(loss);
        // The bar charts are drawn: each run and the ensemble.
        await page.WaitForFunctionAsync("() => ['ensemble-loss', 'ensemble-accuracy'].every(c => (document.getElementById(c)?.data || []).reduce((n, t) => n + t.y.length, 0) === 3)");
        Assert.Equal(["bar", "bar"], await page.EvaluateAsync<string[]>("() => document.getElementById('ensemble-accuracy').data.map(t => t.type)"));
        await page.WaitForTimeoutAsync(1000);
        await ScreenshotAsync(page, "ensemble");
        Assert.Empty(ConsoleErrors);
    }
}
