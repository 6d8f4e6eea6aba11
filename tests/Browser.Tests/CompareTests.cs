using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;

namespace Dashboard.Browser.Tests;

/// <summary>In Debian's Chromium: compare really trained runs, change the x-axis, group seeds into a band, export.</summary>
public sealed class CompareTests : ChromiumTest
{
    private HttpClient? _http;
    private HttpClient Http => _http ??= new HttpClient { BaseAddress = new Uri(App.BaseUrl) };

    protected override void Disposed() => _http?.Dispose();

    // 160 training samples in batches of 50: 4 steps an epoch, 12 in all.
    private const string Base = """
        "dataset": { "name": "hyperspheres", "n": 200, "p": 8, "d": 2 }, "model": { "name": "mlp", "layer_size": [8] },
        "max_epochs": 3, "batch_size": 50
        """;

    private async Task<long[]> LaunchAndFinishAsync(string spec)
    {
        var response = await Http.PostAsync("/api/experiments", new StringContent(spec, Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        var ids = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_ids").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        foreach (var id in ids)
        {
            var deadline = DateTime.UtcNow.AddSeconds(120);
            while (true)
            {
                var status = (await Http.GetFromJsonAsync<JsonElement>($"/api/runs/{id}")).GetProperty("status").GetString();
                if (status is "completed" or "failed" or "diverged" or "cancelled") break;
                Assert.True(DateTime.UtcNow < deadline, $"run {id} still {status}");
                await Task.Delay(200);
            }
        }
        return ids;
    }

    private static Task<int> Draws(IPage page) =>
        page.EvaluateAsync<int>("() => (document.getElementById('compare-chart')?.data ? Number(document.querySelector('[data-chart=compare-chart]').dataset.draws || 0) : 0)");

    /// <summary>Does something to the page and waits until the chart has been drawn again.</summary>
    private static async Task RedrawnAfterAsync(IPage page, Func<Task> change)
    {
        int before = await Draws(page);
        await change();
        await page.WaitForFunctionAsync($"() => (document.getElementById('compare-chart')?.data ? Number(document.querySelector('[data-chart=compare-chart]').dataset.draws || 0) : 0) > {before}");
    }

    private static Task<JsonElement> TracesAsync(IPage page) => page.EvaluateAsync<JsonElement>(
        "() => document.getElementById('compare-chart')?.data.map(t => ({ name: t.name, meta: t.meta || null, fill: t.fill || null, " +
        "x: Array.from(t.x), y: Array.from(t.y), opacity: t.opacity ?? 1, symbol: t.marker ? t.marker.symbol || null : null }))");

    private static double[] Doubles(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetDouble())];

    [Fact]
    public async Task Compare_runs_by_updates_smooth_them_group_seeds_into_a_band_reload_and_export_the_csv()
    {
        var seeds = await LaunchAndFinishAsync($$"""{ "name": "seeds", {{Base}}, "optimizer": { "name": "sgd", "lr": 0.1 }, "sweep": { "parameters": { "seed": [0, 1, 2] } } }""");
        var other = await LaunchAndFinishAsync($$"""{ "name": "slow", {{Base}}, "optimizer": { "name": "sgd", "lr": 0.05 } }""");
        var ids = string.Join(",", seeds.Concat(other));
        var page = await NewPageAsync(new() { AcceptDownloads = true });

        await page.GotoAsync($"{App.BaseUrl}/compare?runs={ids}&key=loss");
        await page.WaitForFunctionAsync("() => (document.getElementById('compare-chart')?.data && document.querySelector('[data-chart=compare-chart]').dataset.draws === '1')");
        // The data comes through the page's circuit, not from the JSON API.
        Assert.Equal(0, await page.EvaluateAsync<int>("() => performance.getEntriesByType('resource').filter(e => e.name.includes('/api/compare?')).length"));
        var traces = await TracesAsync(page);
        Assert.Equal(["seeds/00001", "seeds/00002", "seeds/00003", "slow/00001"], traces.EnumerateArray().Select(t => t.GetProperty("name").GetString()));
        Assert.Equal(Enumerable.Range(1, 12).Select(s => (double)s), Doubles(traces[0].GetProperty("x")));

        // Parameter updates: the axis is titled so and each run's x are its updates (one per step).
        await RedrawnAfterAsync(page, () => page.SelectOptionAsync("#x", "updates"));
        Assert.Equal("Parameter updates", await page.EvaluateAsync<string>("() => document.getElementById('compare-chart').layout.xaxis.title.text"));
        traces = await TracesAsync(page);
        Assert.Equal(Enumerable.Range(1, 12).Select(s => (double)s), Doubles(traces[3].GetProperty("x")));
        Assert.Contains("x=updates", page.Url);

        // Samples seen: 50 a step, 10 in each epoch's last.
        await RedrawnAfterAsync(page, () => page.SelectOptionAsync("#x", "samples"));
        var samples = Doubles((await TracesAsync(page))[0].GetProperty("x"));
        Assert.Equal([50, 100, 150, 160, 210, 260, 310, 320, 370, 420, 470, 480], samples);
        await RedrawnAfterAsync(page, () => page.SelectOptionAsync("#x", "updates"));

        // Smoothing keeps the raw curve, faint, behind a smoothed one that starts where the raw one does (debiased).
        await RedrawnAfterAsync(page, () => page.Locator("#smooth").FillAsync("0.8"));
        traces = await TracesAsync(page);
        Assert.Equal(8, traces.GetArrayLength());
        Assert.Equal("raw", traces[0].GetProperty("meta").GetString());
        Assert.True(traces[0].GetProperty("opacity").GetDouble() < 0.5);
        Assert.Equal("smoothed", traces[1].GetProperty("meta").GetString());
        var raw = Doubles(traces[0].GetProperty("y"));
        var smoothed = Doubles(traces[1].GetProperty("y"));
        Assert.Equal(raw[0], smoothed[0], 12);
        Assert.NotEqual(raw[^1], smoothed[^1]);
        Assert.Equal("0.80", await page.Locator("#smooth-value").TextContentAsync());
        await RedrawnAfterAsync(page, () => page.Locator("#smooth").FillAsync("0"));

        // Grouped by learning rate: the three seeds make one band (filled to the trace before it), the other run one line.
        await RedrawnAfterAsync(page, () => page.SelectOptionAsync("#group", "optimizer.lr"));
        traces = await TracesAsync(page);
        var means = traces.EnumerateArray().Where(t => t.GetProperty("meta").GetString() == "mean").Select(t => t.GetProperty("name").GetString()).ToList();
        Assert.Equal(["optimizer.lr = 0.05 (1 run)", "optimizer.lr = 0.1 (3 runs)"], means);
        var bands = traces.EnumerateArray().Where(t => t.GetProperty("meta").GetString() == "band").ToList();
        Assert.Equal(2, bands.Count);
        Assert.All(bands, b => Assert.Equal("tonexty", b.GetProperty("fill").GetString()));
        // The band of three different seeds has a width; the single run's has none.
        var lower = traces.EnumerateArray().Where(t => t.GetProperty("meta").GetString() == "band-lower").ToList();
        var widths = Doubles(bands[1].GetProperty("y")).Zip(Doubles(lower[1].GetProperty("y")), (up, low) => up - low);
        Assert.True(widths.Max() > 1e-6, $"the band of three seeds has no width: {string.Join(", ", widths)}");
        Assert.Equal(Doubles(bands[0].GetProperty("y")), Doubles(lower[0].GetProperty("y")));
        Assert.Contains("group=optimizer.lr", page.Url);
        await ScreenshotAsync(page, "compare");

        // The address holds the view: a reload draws the same grouped chart with the same controls.
        await page.ReloadAsync();
        await page.WaitForFunctionAsync("() => (document.getElementById('compare-chart')?.data && document.querySelector('[data-chart=compare-chart]').dataset.draws === '1')");
        Assert.Equal("updates", await page.InputValueAsync("#x"));
        Assert.Equal("optimizer.lr", await page.InputValueAsync("#group"));
        Assert.Equal(2, (await TracesAsync(page)).EnumerateArray().Count(t => t.GetProperty("meta").GetString() == "band"));

        // Grouped by two keys at once: one band per (seed, learning rate), keys in the list's order, each legend entry
        // counting its runs.
        await RedrawnAfterAsync(page, () => page.SelectOptionAsync("#group", new[] { "optimizer.lr", "seed" }));
        var pairs = (await TracesAsync(page)).EnumerateArray().Where(t => t.GetProperty("meta").GetString() == "mean").Select(t => t.GetProperty("name").GetString()).ToList();
        Assert.Equal(["seed = 0 · optimizer.lr = 0.05 (1 run)", "seed = 0 · optimizer.lr = 0.1 (1 run)", "seed = 1 · optimizer.lr = 0.1 (1 run)",
            "seed = 2 · optimizer.lr = 0.1 (1 run)"], pairs);
        Assert.Contains("group=seed%2Coptimizer.lr", page.Url);

        // The parameter table: the differing rows first and highlighted, the equal ones behind "show all".
        var seedRow = page.Locator("#param-diff tr[data-key='seed']");
        await Assertions.Expect(seedRow).ToBeVisibleAsync();
        await Assertions.Expect(seedRow).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("differs"));
        await Assertions.Expect(seedRow.Locator("td")).ToHaveTextAsync(["0", "1", "2", "0"]);
        await Assertions.Expect(page.Locator("#param-diff tr[data-key='optimizer.lr'] td")).ToHaveTextAsync(["0.1", "0.1", "0.1", "0.05"]);
        var equalRow = page.Locator("#param-diff tr[data-key='dataset.n']");
        await Assertions.Expect(equalRow).ToBeHiddenAsync();
        await page.CheckAsync("#show-all-params");
        await Assertions.Expect(equalRow).ToBeVisibleAsync();
        await Assertions.Expect(equalRow.Locator("td").First).ToHaveTextAsync("200");
        Assert.True(await page.EvaluateAsync<bool>("""
            () => { const rows = [...document.querySelectorAll('#param-diff tbody tr')];
                    const firstSame = rows.findIndex(r => r.classList.contains('same'));
                    return firstSame > 0 && rows.slice(firstSame).every(r => r.classList.contains('same')); }
            """));

        // The export link downloads every stored point of the compared runs.
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#export-csv"));
        Assert.Equal("metrics-4-runs.csv", download.SuggestedFilename);
        var path = Path.Combine(App.DataDir, "export.csv");
        await download.SaveAsAsync(path);
        var rows = (await File.ReadAllLinesAsync(path)).ToList();
        Assert.Equal("run,key,step,value,time", rows[0]);
        foreach (var (id, name) in seeds.Concat(other).Zip(new[] { "seeds/00001", "seeds/00002", "seeds/00003", "slow/00001" }))
        {
            var loss = ((await Http.GetFromJsonAsync<JsonElement>($"/api/runs/{id}/metrics?keys=loss")).GetProperty("loss").EnumerateArray().ToArray())!;
            var exported = rows.Skip(1).Select(r => r.Split(',')).Where(r => r[0] == name && r[1] == "loss").ToList();
            Assert.Equal(loss.Select(p => p.GetProperty("step").GetInt64().ToString()), exported.Select(r => r[2]));
            Assert.Equal(loss.Select(p => p.GetProperty("value").GetDouble()), exported.Select(r => double.Parse(r[3], System.Globalization.CultureInfo.InvariantCulture)));
            Assert.Equal(3, rows.Count(r => r.StartsWith($"{name},val_accuracy,")));
        }
        Assert.Empty(ConsoleErrors);
    }

    [Fact]
    public async Task A_diverged_run_is_marked_with_an_x_where_it_diverged()
    {
        var healthy = await LaunchAndFinishAsync($$"""{ "name": "fine", {{Base}} }""");
        var diverged = await LaunchAndFinishAsync("""
            { "name": "boom", "dataset": { "name": "hyperspheres", "n": 600, "p": 16, "d": 3, "classes": 3 },
              "model": { "name": "mlp", "layer_size": [32] }, "optimizer": { "name": "sgd", "lr": 1e7 }, "batch_size": 30, "max_epochs": 50 }
            """);
        var run = await Http.GetFromJsonAsync<JsonElement>($"/api/runs/{diverged[0]}");
        Assert.Equal("diverged", run.GetProperty("status").GetString());
        var step = run.GetProperty("diverged_at_step").GetInt64();
        var page = await NewPageAsync(new() { AcceptDownloads = true });

        await page.GotoAsync($"{App.BaseUrl}/compare?runs={healthy[0]},{diverged[0]}&key=loss&x=step");
        await page.WaitForFunctionAsync("() => (document.getElementById('compare-chart')?.data && document.querySelector('[data-chart=compare-chart]').dataset.draws === '1')");
        var marker = (await TracesAsync(page)).EnumerateArray().Single(t => t.GetProperty("meta").GetString() == "diverged");
        Assert.Equal("x", marker.GetProperty("symbol").GetString());
        Assert.Equal((double)step, Assert.Single(Doubles(marker.GetProperty("x"))));
        await Assertions.Expect(page.Locator($"#param-diff th a[href='runs/{diverged[0]}'] + .badge")).ToHaveTextAsync("diverged");
        Assert.Empty(ConsoleErrors);
    }
}
