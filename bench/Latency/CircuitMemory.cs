using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;

namespace Dashboard.Bench;

/// <summary>
/// What open run pages cost the server: each tab holds a circuit with its charts' history (about 1,500 points a trace)
/// and a run-event subscription. The dashboard's resident memory is read with one page open, then with 50, each a
/// finished run's page drawn in its own tab, after a first page opened and closed has warmed the server.
/// </summary>
public static class CircuitMemory
{
    public static async Task<int> RunAsync(DashboardProcess app, int pages)
    {
        using var http = new HttpClient { BaseAddress = new Uri(app.Url) };
        var spec = """
            { "name": "memory", "dataset": { "name": "hyperspheres", "n": 6000, "p": 32, "d": 4, "classes": 4 },
              "model": { "name": "mlp", "layer_size": [64] }, "batch_size": 8, "max_epochs": 4 }
            """;
        var created = await http.PostAsync("/api/experiments", new StringContent(spec, Encoding.UTF8, "application/json"));
        var runId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_ids")[0].GetInt64();
        while ((await http.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}")).GetProperty("status").GetString() is "queued" or "running")
            await Task.Delay(1000);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await DashboardProcess.LaunchChromiumAsync(playwright);
        async Task<IPage> OpenAsync()
        {
            // A context of its own per tab, as separate researchers' browsers: tabs of one context share a few sockets to the host.
            var context = await browser.NewContextAsync();
            var tab = await context.NewPageAsync();
            await tab.GotoAsync($"{app.Url}/runs/{runId}");
            // The circuit has handed the history over: a background tab's browser-side drawing is the browser's cost, not the server's.
            await tab.WaitForFunctionAsync("() => document.querySelector('[data-chart=loss-chart]')?.dataset.draws === '1'", null, new() { Timeout = 60_000 });
            return tab;
        }
        await (await OpenAsync()).CloseAsync();
        await Task.Delay(3000);
        long before = app.WorkingSet;
        var open = new List<IPage> { await OpenAsync() };
        await Task.Delay(3000);
        long one = app.WorkingSet;
        while (open.Count < pages)
        {
            open.Add(await OpenAsync());
            Console.Error.WriteLine($"  {open.Count} pages open, {app.WorkingSet / 1e6:F0} MB");
        }
        await Task.Delay(3000);
        long all = app.WorkingSet;
        int points = await open[0].EvaluateAsync<int>("() => [...document.querySelectorAll('[data-chart]')].reduce((n, c) => n + Number(c.dataset.points), 0)");
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            pages, points_per_page = points, before_mb = before / 1e6, first_page_mb = (one - before) / 1e6,
            all_pages_mb = (all - before) / 1e6, per_page_mb = (all - before) / 1e6 / pages,
        }));
        return 0;
    }
}
