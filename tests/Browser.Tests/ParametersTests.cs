using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Dashboard.Browser.Tests;

/// <summary>In Debian's Chromium: a sweep's hyperparameter views, and a brush on the parallel axes filtering its runs.</summary>
public sealed class ParametersTests : ChromiumTest
{
    private HttpClient? _http;
    private HttpClient Http => _http ??= new HttpClient { BaseAddress = new Uri(App.BaseUrl) };

    protected override void Disposed() => _http?.Dispose();

    [Fact]
    public async Task The_parameters_are_ranked_and_a_brush_on_an_axis_keeps_the_runs_in_its_range()
    {
        var response = await Http.PostAsync("/api/experiments", new StringContent("""
            { "name": "hp", "dataset": { "name": "hyperspheres", "n": 300, "p": 8, "d": 2, "classes": 3 },
              "model": { "name": "mlp", "layer_size": [8] }, "batch_size": 40, "max_epochs": 2,
              "sweep": { "method": "grid", "parameters": { "optimizer.lr": [0.001, 0.01, 0.1], "model.layer_size": [[4], [16]], "seed": [0, 1] } } }
            """, Encoding.UTF8, "application/json"));
        var launched = await response.Content.ReadFromJsonAsync<JsonElement>();
        var experiment = launched.GetProperty("experiment_id").GetInt64();
        var runs = new List<JsonElement>();
        foreach (var id in launched.GetProperty("run_ids").EnumerateArray().Select(e => e.GetInt64()))
        {
            var deadline = DateTime.UtcNow.AddSeconds(120);
            JsonElement run;
            while ((run = await Http.GetFromJsonAsync<JsonElement>($"/api/runs/{id}")).GetProperty("status").GetString() is not ("completed" or "failed" or "diverged"))
            {
                Assert.True(DateTime.UtcNow < deadline, $"run {id} did not finish");
                await Task.Delay(200);
            }
            runs.Add(run);
        }

        var page = await NewPageAsync();
        await page.GotoAsync($"{App.BaseUrl}/experiments/{experiment}");
        await page.ClickAsync("#parameter-views");
        await page.WaitForFunctionAsync("() => document.getElementById('parcoords-chart')?.data?.length === 1", null, new() { Timeout = 60_000 });

        Assert.Equal(["model.layer_size", "optimizer.lr", "seed", "val_loss"],
            await page.EvaluateAsync<string[]>("() => document.getElementById('parcoords-chart').data[0].dimensions.map(d => d.label)"));
        Assert.Equal(3, await page.Locator("#parameters-ranking tbody tr").CountAsync());
        Assert.Equal("12", await page.TextContentAsync("#parameters-kept"));

        // The layer sizes are text, placed at 0 ([16]) and 1 ([4]): a brush over 1 keeps the six runs of width 4 (once the
        // page listens to the chart's brushes: a brush before that is the chart's alone).
        await page.WaitForSelectorAsync("[data-chart=parcoords-chart][data-brushable=true]");
        await page.EvaluateAsync("() => Plotly.restyle('parcoords-chart', { 'dimensions[0].constraintrange': [[0.5, 1.5]] })");
        await page.WaitForFunctionAsync("() => document.getElementById('parameters-kept').textContent === '6'");
        var expected = runs.Where(r => r.GetProperty("params").GetProperty("model.layer_size").ToString() == "[4]").Select(r => r.GetProperty("name").GetString()!).ToList();
        Assert.Equal(expected, await page.Locator("#parameters-runs a").AllTextContentsAsync());
        Assert.Contains(string.Join(",", runs.Where(r => expected.Contains(r.GetProperty("name").GetString()!)).Select(r => r.GetProperty("id").GetInt64())),
            await page.GetAttributeAsync("#parameters-compare", "href"));
        Assert.Empty(ConsoleErrors);
    }
}
