using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;

namespace Dashboard.Browser.Tests;

/// <summary>In Debian's Chromium: a width sweep with seeds, trained here, opened from its sweep page as a scaling law.</summary>
public sealed class ScalingTests : ChromiumTest
{
    private HttpClient? _http;
    private HttpClient Http => _http ??= new HttpClient { BaseAddress = new Uri(App.BaseUrl) };

    protected override void Disposed() => _http?.Dispose();

    [Fact]
    public async Task A_sweep_s_scaling_law_is_drawn_on_log_axes_with_its_formula_and_refitted_on_another_axis()
    {
        var response = await Http.PostAsync("/api/experiments", new StringContent("""
            { "name": "scale", "dataset": { "name": "hyperspheres", "n": 400, "p": 8, "d": 2, "classes": 3 },
              "model": { "name": "mlp", "layer_size": [8] }, "batch_size": 40, "max_epochs": 2,
              "sweep": { "method": "grid", "parameters": { "model.layer_size": [[2], [4], [8], [16], [32]], "seed": [0, 1] } } }
            """, Encoding.UTF8, "application/json"));
        var launched = await response.Content.ReadFromJsonAsync<JsonElement>();
        var experiment = launched.GetProperty("experiment_id").GetInt64();
        foreach (var id in launched.GetProperty("run_ids").EnumerateArray().Select(e => e.GetInt64()))
        {
            var deadline = DateTime.UtcNow.AddSeconds(120);
            while ((await Http.GetFromJsonAsync<JsonElement>($"/api/runs/{id}")).GetProperty("status").GetString() is not ("completed" or "failed" or "diverged"))
            {
                Assert.True(DateTime.UtcNow < deadline, $"run {id} did not finish");
                await Task.Delay(200);
            }
        }
        var api = await Http.GetFromJsonAsync<JsonElement>($"/api/analysis/scaling?experiment={experiment}&law=power");

        var page = await NewPageAsync();
        await page.GotoAsync($"{App.BaseUrl}/experiments/{experiment}");
        await page.ClickAsync("#scaling-law");
        // Each fit refits the law a few hundred times for its intervals: seconds on a busy 2-core machine.
        var slow = new PageWaitForSelectorOptions { Timeout = 90_000 };
        await page.WaitForSelectorAsync("#scaling-fit-table", slow);
        await page.SelectOptionAsync("#scaling-law", "power");
        await page.ClickAsync("#scaling-fit");
        await page.WaitForFunctionAsync("() => location.href.includes('law=power')", null, new() { Timeout = 90_000 });
        await page.WaitForFunctionAsync("() => (document.getElementById('scaling-chart')?.data || []).some(t => t.meta === 'fit' && t.name.startsWith('L = ') && !t.name.includes('+'))",
            null, new() { Timeout = 90_000 });

        var chart = await page.EvaluateAsync<JsonElement>(
            "() => { const c = document.getElementById('scaling-chart'); return { x: c.layout.xaxis.type, y: c.layout.yaxis.type, names: c.data.map(t => t.name), means: Array.from(c.data.find(t => t.meta === 'mean').y) }; }");
        Assert.Equal("log", chart.GetProperty("x").GetString());
        Assert.Equal("log", chart.GetProperty("y").GetString());
        var formula = chart.GetProperty("names").EnumerateArray().Select(n => n.GetString()!).Single(n => n.StartsWith("L = "));
        Assert.Matches(@"^L = [0-9.e-]+·N\^\(−[0-9.]+\)$", formula);
        var expected = api.GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("mean").GetDouble()).ToArray();
        Assert.Equal(expected, chart.GetProperty("means").EnumerateArray().Select(v => v.GetDouble()).ToArray());
        Assert.Equal(Dashboard.Web.Analysis.Estimate.Fmt(api.GetProperty("fit").GetProperty("alpha").GetProperty("value").GetDouble()),
            (await page.TextContentAsync("[data-constant=a] td"))!.Trim());
        // plotly lays its layers out a moment after drawing: the picture waits a little.
        await page.WaitForTimeoutAsync(2000);
        await ScreenshotAsync(page, "scaling");

        // Each chart offers itself as a picture (PNG and SVG, plotly's own export).
        Assert.Equal(2, await page.Locator("[data-export-of=scaling-chart] button").CountAsync());

        // On D every run has the same training set: the page says why there is no fit.
        await page.SelectOptionAsync("#scaling-x", "D");
        await page.ClickAsync("#scaling-fit");
        await page.WaitForSelectorAsync("#scaling-error", slow);
        Assert.Equal("No fit: D has no spread: every run has D = 320.", (await page.TextContentAsync("#scaling-error"))!.Trim());
        Assert.Empty(ConsoleErrors);
    }
}
