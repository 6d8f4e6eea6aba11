// Latency from a metric point logged by the trainer to the same point drawn on the run page's loss chart, in
// Debian's Chromium. The dashboard runs as its own process (embedded mode, worker in-process); the page's
// Plotly.extendTraces is wrapped to note when each step arrives; the trainer's own time of each point comes from
// the API afterwards. Same machine, same clock.
//   dotnet Dashboard.Bench.Latency.dll WEB_DLL [EPOCHS]
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dashboard.Bench;
using Microsoft.Playwright;

if (args.Length < 1) { Console.Error.WriteLine("usage: WEB_DLL [EPOCHS] | WEB_DLL memory [PAGES]"); return 2; }
if (args.Length > 1 && args[1] == "memory")
{
    await using var server = new DashboardProcess(args[0]);
    await server.StartAsync();
    return await CircuitMemory.RunAsync(server, args.Length > 2 ? int.Parse(args[2]) : 50);
}
int epochs = args.Length > 1 ? int.Parse(args[1]) : 3;
await using var app = new DashboardProcess(args[0]);
await app.StartAsync();
var url = app.Url;
{
    using var http = new HttpClient { BaseAddress = new Uri(url) };
    using var playwright = await Playwright.CreateAsync();
    await using var browser = await DashboardProcess.LaunchChromiumAsync(playwright);
    var page = await browser.NewPageAsync();
    // Wraps Plotly as the page defines it: every loss step drawn is noted with the time it was drawn.
    await page.AddInitScriptAsync("""
        (() => {
          let plotly;
          window.__arrivals = [];
          Object.defineProperty(window, 'Plotly', { configurable: true, get: () => plotly, set: v => {
            const extend = v.extendTraces;
            v.extendTraces = function (gd, update, indices) {
              const el = typeof gd === 'string' ? document.getElementById(gd) : gd;
              const i = indices.indexOf(0);
              if (el && el.id === 'loss-chart' && i >= 0) { const now = Date.now(); for (const x of update.x[i]) window.__arrivals.push([x, now]); }
              return extend.apply(this, arguments);
            };
            plotly = v;
          } });
        })();
        """);

    var spec = $$"""
        { "name": "latency", "dataset": { "name": "hyperspheres", "n": 12000, "p": 64, "d": 4, "classes": 4 },
          "model": { "name": "mlp", "layer_size": [128, 128] }, "batch_size": 32, "max_epochs": {{epochs}} }
        """;
    var created = await http.PostAsync("/api/experiments", new StringContent(spec, Encoding.UTF8, "application/json"));
    var runId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_ids")[0].GetInt64();
    await page.GotoAsync($"{url}/runs/{runId}");
    Console.Error.WriteLine($"  run {runId} launched; watching its page");
    while (true)
    {
        var run = await http.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}");
        var status = run.GetProperty("status").GetString();
        if (status is "completed" or "failed" or "diverged" or "cancelled") { Console.Error.WriteLine($"  run {status}"); break; }
        Console.Error.WriteLine($"  epoch {run.GetProperty("epoch")} of {epochs}");
        await Task.Delay(2000);
    }
    await Task.Delay(2000);  // the last event reaches the page
    var arrivals = (await page.EvaluateAsync<long[][]>("() => window.__arrivals")).ToDictionary(a => a[0], a => a[1]);
    var points = (await http.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}/metrics?keys=loss")).GetProperty("loss").EnumerateArray().ToArray();
    // Points drawn with the page's first load (already stored when it opened) are not live: left out.
    var pageOpened = arrivals.Values.DefaultIfEmpty(0).Min();
    var latencies = points
        .Select(p => (Step: p.GetProperty("step").GetInt64(), Logged: p.GetProperty("time").GetDateTimeOffset().ToUnixTimeMilliseconds()))
        .Where(p => p.Logged > pageOpened && arrivals.ContainsKey(p.Step))
        .Select(p => arrivals[p.Step] - p.Logged).Order().ToArray();
    if (latencies.Length == 0) { Console.Error.WriteLine("no point reached the chart"); return 1; }
    var sorted = latencies.Select(l => (double)l).ToArray();
    double P(double q) => DashboardProcess.Percentile(sorted, q);
    Console.WriteLine(JsonSerializer.Serialize(new
    {
        points = points.Length, logged_while_watched = latencies.Length, p50_ms = P(0.5), p95_ms = P(0.95), p99_ms = P(0.99), max_ms = latencies[^1],
    }));
    return 0;
}
