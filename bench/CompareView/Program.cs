// How long the compare page takes to show 100 runs of 10,000 points each, in Debian's Chromium: from navigation start
// to the moment the chart holds every run (polled every 10 ms; the page draws once, through Plotly.Blazor). The runs
// are written into a fresh SQLite file through the app's own metric store, then the dashboard starts on it as its
// own process. Each repetition is a new tab of one browser with a profile on disk (its cache warm, as a researcher's).
//   dotnet Dashboard.Bench.CompareView.dll WEB_DLL [RUNS] [POINTS] [REPETITIONS] [SCREENSHOT.png]
// BENCH_DATA_DIR=DIR keeps the seeded folder for another round (profiling): seeded when empty, reused, not deleted.
// BENCH_QUERY=... is added to the page's address, to time another view (e.g. "&group=optimizer.lr&smooth=0.9").
using System.Diagnostics;
using System.Text.Json;
using Dashboard.Bench;
using Dashboard.Data;
using Dashboard.Data.Metrics;
using Microsoft.Playwright;

if (args.Length < 1) { Console.Error.WriteLine("usage: WEB_DLL [RUNS] [POINTS] [REPETITIONS] [SCREENSHOT.png]"); return 2; }
int runs = args.Length > 1 ? int.Parse(args[1]) : 100;
int points = args.Length > 2 ? int.Parse(args[2]) : 10_000;
int repetitions = args.Length > 3 ? int.Parse(args[3]) : 10;
string? screenshot = args.Length > 4 ? args[4] : null;
var kept = Environment.GetEnvironmentVariable("BENCH_DATA_DIR");
var profile = Directory.CreateTempSubdirectory("dashboard-compare-chromium").FullName;
var dataDir = kept is { Length: > 0 } ? Directory.CreateDirectory(kept).FullName : Directory.CreateTempSubdirectory("dashboard-compare").FullName;

try
{
    var storage = new StorageOptions { DataDir = dataDir };
    long[] ids;
    if (File.Exists(Path.Combine(dataDir, "dashboard.db")))
    {
        await using var db = DataServices.Open(storage);
        ids = [.. db.Runs.OrderBy(r => r.Id).Select(r => r.Id).Take(runs)];
    }
    else ids = await SeedAsync(storage, runs, points);
    await using var app = new DashboardProcess(args[0], dataDir);
    await app.StartAsync(new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Warning" });
    var url = app.Url;
    {
        var page = $"{url}/compare?runs={string.Join(",", ids)}&key=loss{Environment.GetEnvironmentVariable("BENCH_QUERY")}";

        using var playwright = await Playwright.CreateAsync();
        // A profile on disk, as a researcher's browser has: its cache keeps plotly.js compiled between visits.
        await using var context = await playwright.Chromium.LaunchPersistentContextAsync(profile, new()
        {
            ExecutablePath = "/usr/bin/chromium", Headless = true, ViewportSize = new() { Width = 1400, Height = 900 },
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        });
        // Notes when plotly.min.js has run (it sets window.Plotly): the script's own cost, apart from ours.
        await context.AddInitScriptAsync("""
            (() => { let p; Object.defineProperty(window, 'Plotly', { configurable: true, get: () => p,
              set: v => { p = v; window.__plotlyAt = performance.now(); } }); })();
            """);
        var errors = new List<string>();
        var samples = new List<Sample>();
        // Two loads first, left out: they warm the server (JIT, SQLite's pages) and the browser, whose cache keeps
        // plotly.js compiled from its second load on (V8's code cache), as in a researcher's browser.
        const int warmUps = 2;
        for (int rep = 1 - warmUps; rep <= repetitions; rep++)
        {
            var tab = await context.NewPageAsync();
            tab.Console += (_, m) => { if (m.Type == "error") errors.Add(m.Text); };
            tab.PageError += (_, e) => errors.Add(e);
            await tab.GotoAsync(page);
            // The page's data comes through its circuit and plotly draws it once: the first moment the chart holds every run.
            await tab.WaitForFunctionAsync($"() => {{ const c = document.getElementById('compare-chart'); if (c?.data?.length >= {runs} && !window.__drawnAt) window.__drawnAt = performance.now(); return window.__drawnAt; }}",
                null, new() { Timeout = 60_000, PollingInterval = 10 });
            // Resource timing of the API call splits the total: page and scripts before it, the server's answer, the draw after it.
            var sample = await tab.EvaluateAsync<Sample>("""
                () => {
                  const chart = document.getElementById('compare-chart');
                  const api = { startTime: 0, requestStart: 0, responseStart: 0, responseEnd: 0, encodedBodySize: 0 };   // no API call: the circuit
                  const nav = performance.getEntriesByType('navigation')[0];
                  return { page_ms: nav.responseEnd, plotly_ms: window.__plotlyAt, dom_ms: nav.domContentLoadedEventStart, drawn_ms: window.__drawnAt, fetch_start_ms: api.startTime,
                           server_ms: api.responseStart - api.requestStart, download_ms: api.responseEnd - api.responseStart,
                           bytes: api.encodedBodySize, traces: chart.data.length,
                           points: chart.data.reduce((n, t) => n + t.x.length, 0), draw_ms: window.__drawnAt - window.__plotlyAt };
                }
                """);
            if (rep > 0) samples.Add(sample);
            Console.Error.WriteLine($"  {(rep <= 0 ? "warm-up" : $"run {rep}")}: drawn at {sample.drawn_ms:F0} ms (page at {sample.page_ms:F0} ms, plotly {sample.plotly_ms:F0}, DOM {sample.dom_ms:F0}, API asked at {sample.fetch_start_ms:F0} ms, server {sample.server_ms:F0} ms, " +
                                    $"download {sample.download_ms:F0} ms of {sample.bytes / 1e6:F1} MB, draw {sample.draw_ms:F0} ms; {sample.traces} traces, {sample.points:N0} points)");
            if (rep == repetitions && screenshot is not null) await tab.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
            await tab.CloseAsync();
        }
        if (errors.Count > 0) { Console.Error.WriteLine($"console errors: {string.Join("; ", errors)}"); return 1; }

        static double Median(IEnumerable<double> v) => Quantile(v, 0.5);
        static double Quantile(IEnumerable<double> values, double q) => DashboardProcess.Percentile(values.Order().ToArray(), q);
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            runs, points_per_run = points, repetitions,
            median_ms = Median(samples.Select(s => s.drawn_ms)), p95_ms = Quantile(samples.Select(s => s.drawn_ms), 0.95),
            max_ms = samples.Max(s => s.drawn_ms),
            page_ms = Median(samples.Select(s => s.page_ms)), plotly_ms = Median(samples.Select(s => s.plotly_ms)), fetch_start_ms = Median(samples.Select(s => s.fetch_start_ms)), server_ms = Median(samples.Select(s => s.server_ms)),
            download_ms = Median(samples.Select(s => s.download_ms)), draw_ms = Median(samples.Select(s => s.draw_ms)),
            response_mb = samples[0].bytes / 1e6, traces = samples[0].traces, drawn_points = samples[0].points,
        }));
        return 0;
    }
}
finally
{
    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    if (kept is not { Length: > 0 }) try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
    try { Directory.Delete(profile, recursive: true); } catch (IOException) { }
}

// A sweep's worth of finished runs: loss falling with noise and a few spikes, updates one per step, a point every
// 50 ms of training; five learning rates over twenty seeds.
static async Task<long[]> SeedAsync(StorageOptions storage, int runs, int points)
{
    var clock = Stopwatch.StartNew();
    await DatabaseSetup.MigrateAsync(storage);
    var start = DateTime.UtcNow.AddDays(-1);
    double[] lrs = [0.3, 0.1, 0.03, 0.01, 0.003];
    var experiment = new Experiment { Name = "bench", Spec = "{}", CreatedAt = start };
    for (int r = 0; r < runs; r++)
    {
        var lr = lrs[r % lrs.Length];
        int seed = r / lrs.Length;
        var spec = $$"""{"name":"bench","dataset":{"name":"hyperspheres","n":10000},"model":{"name":"mlp","layer_size":[64,64]},"optimizer":{"name":"sgd","lr":{{lr}}},"seed":{{seed}},"max_epochs":10}""";
        experiment.Runs.Add(new Run
        {
            Project = "bench", Number = r + 1, Spec = spec, Params = $$"""{"optimizer.lr":{{lr}},"seed":{{seed}}}""",
            Status = RunStatus.Completed, CreatedAt = start, StartedAt = start, FinishedAt = start.AddMinutes(10), MaxEpochs = 10, Epoch = 10,
        });
    }
    await using (var db = DataServices.Open(storage))
    {
        db.Experiments.Add(experiment);
        await db.SaveChangesAsync();
    }
    var store = new SqliteMetricStore(storage);
    var batch = new List<MetricPoint>(2 * points);
    foreach (var run in experiment.Runs)
    {
        var random = new Random((int)run.Id);
        double rate = 1e-4 * (1 + run.Number % 5);
        for (int step = 1; step <= points; step++)
        {
            var time = start.AddMilliseconds(50.0 * step);
            double loss = 2.3 * Math.Exp(-rate * step) + 0.05 + 0.05 * random.NextDouble() + (random.Next(2000) == 0 ? 1.5 : 0);
            batch.Add(new MetricPoint { RunId = run.Id, Key = "loss", Step = step, Value = loss, Time = time });
            batch.Add(new MetricPoint { RunId = run.Id, Key = "updates", Step = step, Value = step, Time = time });
        }
        await store.AppendAsync(batch, CancellationToken.None);
        batch.Clear();
    }
    Console.Error.WriteLine($"  seeded {runs} runs x {points:N0} points of loss and updates in {clock.Elapsed.TotalSeconds:F1} s");
    return [.. experiment.Runs.Select(r => r.Id)];
}

// Settable properties, named as the page's script returns them: Playwright fills them in by name.
internal sealed class Sample
{
    public double page_ms { get; set; }
    public double plotly_ms { get; set; }
    public double dom_ms { get; set; }
    public double drawn_ms { get; set; }
    public double fetch_start_ms { get; set; }
    public double server_ms { get; set; }
    public double download_ms { get; set; }
    public double bytes { get; set; }
    public int traces { get; set; }
    public int points { get; set; }
    public double draw_ms { get; set; }
}
