// The runs table with many runs: time from navigation to first contentful paint in Debian's Chromium, for the Runs
// page as it opens, sorted by a metric, and filtered by a parameter. The runs are written straight into the
// dashboard's SQLite file (after it created its schema), each with sweep parameters and metric summaries, as a
// finished sweep leaves them.
//   dotnet Dashboard.Bench.RunsTable.dll WEB_DLL [RUNS] [REPEATS]
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dashboard.Bench;
using Microsoft.Data.Sqlite;
using Microsoft.Playwright;

if (args.Length < 1) { Console.Error.WriteLine("usage: WEB_DLL [RUNS] [REPEATS]"); return 2; }
int runs = args.Length > 1 ? int.Parse(args[1]) : 5000;
int repeats = args.Length > 2 ? int.Parse(args[2]) : 7;

await using var app = new DashboardProcess(args[0]);
await app.StartAsync();
await app.StopAsync();
Seed(Path.Combine(app.DataDir, "dashboard.db"), runs);
await app.StartAsync();

using var playwright = await Playwright.CreateAsync();
await using var browser = await DashboardProcess.LaunchChromiumAsync(playwright);
var views = new (string Name, string Path)[]
{
    ("opened", "/"),
    ("sorted by val_accuracy.max", "/?sort=val_accuracy.max"),
    ("filtered by optimizer.lr", "/?filter=" + Uri.EscapeDataString("optimizer.lr>0.05") + "&sort=val_loss.min&order=asc"),
};
var results = new List<object>();
foreach (var (name, path) in views)
{
    var paints = new List<double>();
    for (int i = 0; i <= repeats; i++)
    {
        var page = await browser.NewPageAsync();
        await page.GotoAsync(app.Url + path);
        // The paint entry can be recorded a frame after the load event: wait for it (buffered), for up to 10 s.
        var fcp = await page.EvaluateAsync<double>("""
            () => new Promise(done => {
              const seen = () => performance.getEntriesByName('first-contentful-paint')[0]?.startTime;
              if (seen() !== undefined) return done(seen());
              new PerformanceObserver(() => { if (seen() !== undefined) done(seen()); }).observe({ type: 'paint', buffered: true });
              setTimeout(() => done(seen() ?? -1), 10000);
            })
            """);
        var rows = await page.Locator("#runs tbody tr").CountAsync();
        await page.CloseAsync();
        if (rows == 0 || fcp < 0) { Console.Error.WriteLine($"{name}: nothing painted ({rows} rows, first contentful paint {fcp})"); return 1; }
        if (i > 0) paints.Add(fcp);  // the first load warms the server's JIT
        Console.Error.WriteLine($"  {name}: {fcp:F0} ms, {rows} rows");
    }
    paints.Sort();
    results.Add(new { view = name, path, median_ms = Math.Round(DashboardProcess.Percentile(paints, 0.5)), p95_ms = Math.Round(DashboardProcess.Percentile(paints, 0.95)) });
}
Console.WriteLine(JsonSerializer.Serialize(new { runs, repeats, views = results }));
return 0;

static void Seed(string file, int runs)
{
    var clock = Stopwatch.StartNew();
    using var db = new SqliteConnection($"Data Source={file}");
    db.Open();
    using var tx = db.BeginTransaction();
    var now = DateTime.UtcNow;
    const string spec = """{"name":"bench","dataset":{"name":"hyperspheres","n":2000,"p":128,"d":5,"classes":4},"model":{"name":"mlp","layer_size":[64,32]},"max_epochs":20}""";
    Exec(db, "INSERT INTO experiments (name, spec, created_at, sweep) VALUES ('bench', $s, $t, '{}')", ("$s", spec), ("$t", now));
    var rng = new Random(1);
    using var run = db.CreateCommand();
    run.CommandText = """
        INSERT INTO runs (experiment_id, project, number, status, spec, created_at, started_at, finished_at, epoch, max_epochs, params, tags, notes)
        VALUES (1, 'bench', $n, 'completed', $spec, $t, $t, $t, 20, 20, $params, '', '')
        """;
    var n = run.Parameters.Add("$n", SqliteType.Integer);
    var sp = run.Parameters.Add("$spec", SqliteType.Text);
    var t = run.Parameters.Add("$t", SqliteType.Text);
    var p = run.Parameters.Add("$params", SqliteType.Text);
    using var summary = db.CreateCommand();
    summary.CommandText = "INSERT INTO metric_summaries (run_id, key, last_step, last_value, min_value, max_value) VALUES ($r, $k, 800, $last, $min, $max)";
    var r = summary.Parameters.Add("$r", SqliteType.Integer);
    var k = summary.Parameters.Add("$k", SqliteType.Text);
    var last = summary.Parameters.Add("$last", SqliteType.Real);
    var min = summary.Parameters.Add("$min", SqliteType.Real);
    var max = summary.Parameters.Add("$max", SqliteType.Real);
    for (int i = 1; i <= runs; i++)
    {
        var lr = Math.Round(Math.Pow(10, -4 + 3 * rng.NextDouble()), 6);
        n.Value = i;
        sp.Value = spec.Replace("\"max_epochs\":20", $"\"max_epochs\":20,\"seed\":{i % 5},\"optimizer\":{{\"lr\":{lr.ToString(CultureInfo.InvariantCulture)}}}");
        t.Value = now.AddSeconds(i).ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture);
        p.Value = $"{{\"optimizer.lr\":{lr.ToString(CultureInfo.InvariantCulture)},\"seed\":{i % 5}}}";
        run.ExecuteNonQuery();
        foreach (var key in new[] { "loss", "val_loss", "val_accuracy", "val_ap", "train_accuracy", "lr" })
        {
            double a = rng.NextDouble(), b = rng.NextDouble();
            r.Value = i; k.Value = key; last.Value = a; min.Value = Math.Min(a, b); max.Value = Math.Max(a, b);
            summary.ExecuteNonQuery();
        }
    }
    tx.Commit();
    Console.Error.WriteLine($"  seeded {runs} runs in {clock.Elapsed.TotalSeconds:F1} s");

    static void Exec(SqliteConnection db, string sql, params (string, object)[] values)
    {
        using var c = db.CreateCommand();
        c.CommandText = sql;
        foreach (var (name, value) in values) c.Parameters.AddWithValue(name, value);
        c.ExecuteNonQuery();
    }
}
