// Job dispatch on a throwaway PostgreSQL with real worker processes: prints one JSON line.
//   dotnet Dashboard.Bench.Jobs.dll TRAINING_DLL [LAUNCHES] [SWEEP]
// Uses only what every version since the cluster mode has (RunLauncher.LaunchAsync, the runs and attempts tables),
// so the same driver measures the job engine before and after a change.
using System.Diagnostics;
using System.Text.Json;
using Dashboard.Data;
using Dashboard.Data.Tests;
using Dashboard.Training.Specs;
using Dashboard.Training.Worker;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var trainingDll = Path.GetFullPath(args[0]);
int launches = args.Length > 1 ? int.Parse(args[1]) : 20;
int sweep = args.Length > 2 ? int.Parse(args[2]) : 500;
var dataDir = Directory.CreateTempSubdirectory("dashboard-bench-jobs").FullName;
var server = new PostgresServer();
await server.InitializeAsync();
var workers = new List<Process>();
try
{
    var result = new Dictionary<string, object>();

    // 1. Launch to running on an idle worker, one run at a time.
    var (cs, dbs, launcher) = await ClusterAsync("launch", 1);
    var latencies = new List<double>();
    for (int i = 0; i < launches; i++)
    {
        var launched = DateTime.UtcNow;
        long id = (await launcher.LaunchAsync(Tiny("launch"))).RunIds[0];
        var attempt = await WaitAsync(dbs, async db => await db.RunAttempts.AsNoTracking().FirstOrDefaultAsync(a => a.RunId == id), 60);
        latencies.Add((attempt.StartedAt - launched).TotalMilliseconds);
        await WaitAsync(dbs, async db => await db.Runs.AnyAsync(r => r.Id == id && r.Status == RunStatus.Completed) ? "" : null, 60);
    }
    latencies.Sort();
    result["launch_p50_ms"] = Math.Round(Percentile(latencies, 0.50));
    result["launch_p95_ms"] = Math.Round(Percentile(latencies, 0.95));
    StopWorkers();

    // 2. A sweep of tiny runs over two hosts: from the first launch to the last run completed.
    (cs, dbs, launcher) = await ClusterAsync("sweep", 2);
    var start = Stopwatch.StartNew();
    for (int i = 0; i < sweep; i++) await launcher.LaunchAsync(Tiny("sweep"));
    await WaitAsync(dbs, async db => await db.Runs.CountAsync(r => r.Status == RunStatus.Completed) == sweep ? "" : null, 900);
    result["sweep_runs"] = sweep;
    result["sweep_seconds"] = Math.Round(start.Elapsed.TotalSeconds, 1);
    result["sweep_runs_per_s"] = Math.Round(sweep / start.Elapsed.TotalSeconds, 2);
    StopWorkers();

    // 3. Kill -9 the host training a run: time until another host has started it again.
    (cs, dbs, launcher) = await ClusterAsync("takeover", 2);
    long run = (await launcher.LaunchAsync(SpecJson.Parse("""
        { "name": "takeover", "dataset": { "name": "hyperspheres", "n": 6000, "p": 16, "d": 3, "classes": 3 },
          "model": { "name": "mlp", "layer_size": [64, 64] }, "batch_size": 8, "max_epochs": 500, "checkpoint": { "every": 1 } }
        """))).RunIds[0];
    var first = await WaitAsync(dbs, async db => await db.Runs.AnyAsync(r => r.Id == run && r.Epoch >= 1)
        ? await db.RunAttempts.AsNoTracking().SingleAsync(a => a.RunId == run) : null, 120);
    var victim = workers.Single(w => first.Host.Split(':')[1] == w.Id.ToString());
    var killed = DateTime.UtcNow;
    victim.Kill(entireProcessTree: true);
    var second = await WaitAsync(dbs, async db => await db.RunAttempts.AsNoTracking().FirstOrDefaultAsync(a => a.RunId == run && a.Number == 2), 300);
    result["takeover_seconds"] = Math.Round((second.StartedAt - killed).TotalSeconds, 1);
    StopWorkers();

    Console.WriteLine(JsonSerializer.Serialize(result));
}
finally
{
    StopWorkers();
    await server.DisposeAsync();
    try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
}

async Task<(string, IDbContextFactory<DashboardDb>, RunLauncher)> ClusterAsync(string name, int hosts)
{
    await server.CreateDatabaseAsync(name);
    var cs = server.ConnectionString(name);
    await DatabaseSetup.MigrateAsync(new StorageOptions { ConnectionString = cs });
    var web = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Configuration = new ConfigurationManager(), DisableDefaults = true });
    web.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Dashboard"] = cs, ["Worker:Enabled"] = "false" });
    web.Services.AddDashboardData(web.Configuration);
    web.Services.AddDashboardWorker(web.Configuration);
    var services = web.Build().Services;
    for (int i = 0; i < hosts; i++)
    {
        var psi = new ProcessStartInfo("dotnet", [trainingDll]) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["ConnectionStrings__Dashboard"] = cs;
        psi.Environment["Storage__DataDir"] = dataDir;
        psi.Environment["Worker__Slots"] = "1";
        psi.Environment["Training__Threads"] = "1";
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        workers.Add(p);
    }
    var dbs = services.GetRequiredService<IDbContextFactory<DashboardDb>>();
    // Every host advertised on the Workers page: started and beating.
    await WaitAsync(dbs, async db => await db.WorkerHosts.CountAsync() == hosts ? "" : null, 60);
    return (cs, dbs, services.GetRequiredService<RunLauncher>());
}

void StopWorkers()
{
    foreach (var w in workers) { if (!w.HasExited) w.Kill(entireProcessTree: true); w.WaitForExit(); }
    workers.Clear();
}

static ExperimentSpec Tiny(string name) => SpecJson.Parse($$"""
    { "name": "{{name}}", "dataset": { "name": "hyperspheres", "n": 200, "p": 4, "d": 2, "classes": 2 },
      "model": { "name": "mlp", "layer_size": [8] }, "batch_size": 40, "max_epochs": 1 }
    """);

static double Percentile(List<double> sorted, double q) => sorted[(int)Math.Min(sorted.Count - 1, Math.Ceiling(q * sorted.Count) - 1)];

static async Task<T> WaitAsync<T>(IDbContextFactory<DashboardDb> dbs, Func<DashboardDb, Task<T?>> probe, int seconds) where T : class
{
    var deadline = DateTime.UtcNow.AddSeconds(seconds);
    while (true)
    {
        await using (var db = await dbs.CreateDbContextAsync())
            if (await probe(db) is { } found) return found;
        if (DateTime.UtcNow > deadline) throw new TimeoutException($"not within {seconds} s");
        await Task.Delay(50);
    }
}
