using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Web.Tests;

/// <summary>
/// The dashboard as the README's command runs it (`dotnet Dashboard.Web.dll`, its own process, a cold start), stopped
/// and started again on the same data folder: the start-up work on stored runs (pruning old specs, queueing again what
/// was cut off) runs before anything else in that process has touched the spec serializer, unlike in a test host.
/// </summary>
public sealed class RestartTests : IDisposable
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("dashboard-restart").FullName;

    [Fact]
    public async Task A_dashboard_started_again_on_a_folder_with_runs_comes_up_and_shows_them()
    {
        string url = FreeUrl();
        long id;
        using (var first = await DashboardRun.StartAsync(url, _dataDir))
        {
            using var client = new HttpClient { BaseAddress = new Uri(url) };
            id = await client.LaunchAsync("""
                { "name": "again", "dataset": { "name": "hyperspheres", "n": 200, "p": 8, "d": 2 }, "model": { "name": "mlp", "layer_size": [8] }, "max_epochs": 1 }
                """);
            Assert.Equal("completed", (await client.WaitFinishedAsync(id)).GetProperty("status").GetString());
        }

        using var second = await DashboardRun.StartAsync(url, _dataDir);
        using var again = new HttpClient { BaseAddress = new Uri(url) };
        Assert.Equal("completed", (await again.RunAsync(id)).GetProperty("status").GetString());
        Assert.Contains("again/00001", await again.GetStringAsync("/"));
    }

    [Fact]
    public async Task A_dashboard_killed_while_it_trains_resumes_the_run_from_its_checkpoint_when_started_again()
    {
        string url = FreeUrl();
        var storage = new StorageOptions { DataDir = _dataDir };
        long id;
        using (var first = await DashboardRun.StartAsync(url, _dataDir))
        {
            using var client = new HttpClient { BaseAddress = new Uri(url) };
            id = await client.LaunchAsync("""
                { "name": "killed", "dataset": { "name": "hyperspheres", "n": 6000, "p": 16, "d": 3, "classes": 3 },
                  "model": { "name": "mlp", "layer_size": [64, 64] }, "batch_size": 8, "max_epochs": 8, "checkpoint": { "every": 1 } }
                """);
            var deadline = DateTime.UtcNow.AddSeconds(120);
            while (true)
            {
                await using var db = DataServices.Open(storage);
                var run = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == id);
                if (run.Status == RunStatus.Running && run.Epoch >= 2) break;
                Assert.True(DateTime.UtcNow < deadline, $"the run did not pass epoch 2: {run.Status}, epoch {run.Epoch}");
                await Task.Delay(200);
            }
        }   // SIGKILL: no shutdown, the run left marked running

        using var second = await DashboardRun.StartAsync(url, _dataDir);
        using var again = new HttpClient { BaseAddress = new Uri(url) };
        var done = await again.WaitForAsync(id, r => r.GetProperty("status").GetString() is "completed" or "failed" or "diverged" or "cancelled",
            "finished", seconds: 180);
        Assert.Equal("completed", done.GetProperty("status").GetString());

        await using var check = DataServices.Open(storage);
        var attempts = await check.RunAttempts.AsNoTracking().Where(a => a.RunId == id).OrderBy(a => a.Number).ToListAsync();
        Assert.Equal(2, attempts.Count);
        Assert.True(attempts[1].ResumedAfterEpoch >= 2, $"resumed after epoch {attempts[1].ResumedAfterEpoch}");
        // Each start recorded what it trained with, the second by the process that resumed the run; the API gives both.
        Assert.NotEqual(attempts[0].Host, attempts[1].Host);
        Assert.All(attempts, a => Assert.StartsWith("1.13.", a.TorchVersion));
        var environments = done.GetProperty("attempts").EnumerateArray().Select(a => a.GetProperty("host").GetString()).ToList();
        Assert.Equal(attempts.Select(a => a.Host), environments);
        Assert.Equal(attempts[1].Host, done.GetProperty("environment").GetProperty("host").GetString());
        // One point per step from 1 to the last, none twice, none missing.
        var steps = await check.MetricPoints.Where(p => p.RunId == id && p.Key == "loss").OrderBy(p => p.Step).Select(p => p.Step).ToListAsync();
        Assert.Equal(Enumerable.Range(1, 8 * 4800 / 8).Select(i => (long)i), steps);
    }

    [Fact]
    public async Task A_dashboard_killed_mid_sweep_decides_nothing_twice_and_finishes_the_tpe_budget_when_started_again()
    {
        string url = FreeUrl();
        var storage = new StorageOptions { DataDir = _dataDir };
        long experiment;
        Dictionary<long, string?> stoppedBefore;
        using (var first = await DashboardRun.StartAsync(url, _dataDir))
        {
            using var client = new HttpClient { BaseAddress = new Uri(url) };
            var response = await client.PostSpecAsync("""
                { "name": "adaptive", "dataset": { "name": "hyperspheres", "n": 3000, "p": 8, "d": 2, "classes": 2 },
                  "model": { "name": "mlp", "layer_size": [32] }, "batch_size": 8, "max_epochs": 3, "checkpoint": { "every": 1 },
                  "sweep": { "method": "tpe", "budget": 6, "parallel": 2,
                             "parameters": { "optimizer.lr": { "min": 0.000001, "max": 0.1, "distribution": "log_uniform" } },
                             "early_stop": { "type": "asha", "metric": "val_loss", "min_epochs": 1, "reduction_factor": 3 } } }
                """);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            experiment = (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("experiment_id").GetInt64();
            // Killed once some runs have reached the first rung and a proposal was made after one ended.
            var deadline = DateTime.UtcNow.AddSeconds(90);
            while (true)
            {
                await using var db = DataServices.Open(storage);
                int arrivals = await db.RungArrivals.CountAsync(a => a.ExperimentId == experiment);
                int runs = await db.Runs.CountAsync(r => r.ExperimentId == experiment);
                if (arrivals >= 3 && runs >= 3) break;
                Assert.True(DateTime.UtcNow < deadline, $"the sweep did not get going: {arrivals} rung values, {runs} runs");
                await Task.Delay(100);
            }
            await using var seen = DataServices.Open(storage);
            stoppedBefore = await seen.Runs.AsNoTracking().Where(r => r.ExperimentId == experiment && r.Status == RunStatus.Stopped)
                .ToDictionaryAsync(r => r.Id, r => r.Error);
        }   // SIGKILL: runs left marked running, maybe a rung stored and its run not yet stopped

        using var second = await DashboardRun.StartAsync(url, _dataDir);
        var end = DateTime.UtcNow.AddSeconds(150);
        List<Run> all;
        while (true)
        {
            await using var db = DataServices.Open(storage);
            all = await db.Runs.AsNoTracking().Where(r => r.ExperimentId == experiment).OrderBy(r => r.SweepIndex).ToListAsync();
            if (all.Count == 6 && all.All(r => RunStatus.IsFinished(r.Status))) break;
            Assert.True(DateTime.UtcNow < end, $"not finished: {string.Join(", ", all.Select(r => $"{r.SweepIndex} {r.Status}"))}");
            await Task.Delay(200);
        }
        await Task.Delay(1000);

        await using var check = DataServices.Open(storage);
        // The budget exactly: each proposal index once.
        all = await check.Runs.AsNoTracking().Where(r => r.ExperimentId == experiment).OrderBy(r => r.SweepIndex).ToListAsync();
        Assert.Equal([0, 1, 2, 3, 4, 5], all.Select(r => r.SweepIndex!.Value));
        // What was stopped before the kill is stopped still, for the same reason.
        foreach (var (id, error) in stoppedBefore) Assert.Equal(error, all.Single(r => r.Id == id).Error);
        // Every run ended as the stored rung values decide, recomputed now: none stopped that they let go on, none
        // that they stopped left to complete.
        var spec = System.Text.Json.JsonSerializer.Deserialize<Dashboard.Training.Specs.SweepSpec>(
            (await check.Experiments.FindAsync(experiment))!.Sweep!, Dashboard.Training.Specs.SpecJson.Options)!.EarlyStop!;
        var rows = await Dashboard.Training.Worker.EarlyStopping.ValuesAsync(check, experiment);
        foreach (var run in all)
        {
            var decision = Dashboard.Training.Specs.Asha.Decide(spec, rows, run.Id.ToString());
            Assert.True(run.Status is RunStatus.Stopped or RunStatus.Completed or RunStatus.Diverged, $"{run.DisplayName}: {run.Status} {run.Error}");
            if (run.Status == RunStatus.Stopped) Assert.Equal($"{decision!.StoppedText}: {decision.Reason}", run.Error);
            if (run.Status == RunStatus.Completed) Assert.False(decision?.Stop ?? false, $"{run.DisplayName} completed though stopped: {decision?.Reason}");
        }
    }

    private static string FreeUrl()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return $"http://127.0.0.1:{((IPEndPoint)l.LocalEndpoint).Port}";
    }

    public void Dispose()
    {
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }

    private sealed class DashboardRun : IDisposable
    {
        private readonly Process _process;
        private readonly List<string> _output = [];

        private DashboardRun(Process process) => _process = process;

        public static async Task<DashboardRun> StartAsync(string url, string dataDir)
        {
            var psi = new ProcessStartInfo("dotnet", [WebDll(), "--urls", url]) { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.Environment["Storage__DataDir"] = dataDir;
            psi.Environment["Training__Threads"] = "1";
            var run = new DashboardRun(Process.Start(psi)!);
            var started = new TaskCompletionSource();
            void Line(string? line)
            {
                if (line is null) return;
                lock (run._output) run._output.Add(line);
                if (line.Contains("Dashboard is running at")) started.TrySetResult();
            }
            run._process.OutputDataReceived += (_, e) => Line(e.Data);
            run._process.ErrorDataReceived += (_, e) => Line(e.Data);
            run._process.BeginOutputReadLine();
            run._process.BeginErrorReadLine();
            var exited = run._process.WaitForExitAsync();
            var first = await Task.WhenAny(started.Task, exited, Task.Delay(TimeSpan.FromSeconds(60)));
            if (first != started.Task)
            {
                string output;
                lock (run._output) output = string.Join('\n', run._output.TakeLast(30));
                run.Dispose();
                Assert.Fail($"the dashboard did not come up ({(first == exited ? "it exited" : "60 s")}):\n{output}");
            }
            return run;
        }

        // The app's own build beside ours: src/Web/bin/<configuration>/net10.0, found from the repository root.
        private static string WebDll()
        {
            var here = new DirectoryInfo(AppContext.BaseDirectory);
            var configuration = here.Parent!.Name;
            var root = here;
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "Dashboard.sln"))) root = root.Parent;
            if (root is null) throw new InvalidOperationException("Dashboard.sln not found above " + AppContext.BaseDirectory);
            var dll = Path.Combine(root.FullName, "src", "Web", "bin", configuration, "net10.0", "Dashboard.Web.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException("build src/Web first", dll);
        }

        public void Dispose()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
            _process.Dispose();
        }
    }
}
