using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using Dashboard.Data;
using Dashboard.Data.Metrics;
using Dashboard.Training.Worker;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dashboard.Web.Tests;

/// <summary>
/// The embedded app sampling every 0.2 s, configured with a GPU as well as the CPU. Which nvidia-smi it finds is the
/// subclass's: none at all, or a script standing in for it (nvidia-smi is not ours; the machine has no GPU).
/// </summary>
public abstract class SystemMetricsFactory : WebApplicationFactory<Program>
{
    public string DataDir { get; } = Directory.CreateTempSubdirectory("dashboard-sys").FullName;
    public ConcurrentQueue<(LogLevel Level, string Text)> Logged { get; } = new();

    protected abstract string NvidiaSmi();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseContentRoot(AppContext.BaseDirectory);
        builder.UseSetting("Storage:DataDir", DataDir);
        builder.UseSetting("Training:Threads", "1");
        builder.UseSetting("Worker:Devices:0", "cpu");
        builder.UseSetting("Worker:Devices:1", "cuda:0");
        builder.UseSetting("Worker:SystemMetricsSeconds", "0.2");
        builder.UseSetting("Worker:NvidiaSmi", NvidiaSmi());
        builder.ConfigureLogging(l => l.AddProvider(new Recording(Logged)));
    }

    public async Task<Run> AddRunAsync()
    {
        var dbs = Services.GetRequiredService<IDbContextFactory<DashboardDb>>();
        await using var db = await dbs.CreateDbContextAsync();
        var run = new Run { Project = "sampled", Number = await db.Runs.CountAsync() + 1, Spec = StoredRuns.Spec, Params = "{}", Status = RunStatus.Running, MaxEpochs = 3 };
        db.Experiments.Add(new Experiment { Name = "sampled", Spec = StoredRuns.Spec, CreatedAt = DateTime.UtcNow, Runs = [run] });
        await db.SaveChangesAsync();
        return run;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { }
    }

    private sealed class Recording(ConcurrentQueue<(LogLevel, string)> into) : ILoggerProvider
    {
        public ILogger CreateLogger(string category) => new Recorder(into);
        public void Dispose() { }

        private sealed class Recorder(ConcurrentQueue<(LogLevel, string)> into) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel level) => level >= LogLevel.Information;
            public void Log<TState>(LogLevel level, EventId id, TState state, Exception? e, Func<TState, Exception?, string> format) =>
                into.Enqueue((level, format(state, e) + (e is null ? "" : " " + e)));
        }
    }
}

/// <summary>A host whose nvidia-smi is nowhere to be found.</summary>
public sealed class NoNvidiaSmiFactory : SystemMetricsFactory
{
    protected override string NvidiaSmi() => Path.Combine(DataDir, "no-such-dir", "nvidia-smi");
}

/// <summary>A host with one GPU as nvidia-smi reports it: 87% busy, 10 of 79.6 GiB, no power reading ([N/A]), 65 °C.</summary>
public sealed class FakeGpuFactory : SystemMetricsFactory
{
    protected override string NvidiaSmi()
    {
        var path = Path.Combine(DataDir, "nvidia-smi");
        File.WriteAllText(path, """
            #!/bin/sh
            case "$1" in
              --query-gpu=index,name,*) echo "0, NVIDIA Test GPU, 81559, 10240" ;;
              *) echo "0, 87, 10240, 81559, [N/A], 65" ;;
            esac
            """);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}

/// <summary>A run trained through the test server, with the real shim, sampled by its host; no nvidia-smi on this host.</summary>
public sealed class SystemMetricsTests(NoNvidiaSmiFactory factory) : IClassFixture<NoNvidiaSmiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    // Long enough (hundreds of steps of a wide MLP) to be sampled several times at 0.2 s; cancelled once it has been.
    private const string Spec = """
        { "name": "sys", "dataset": { "name": "hyperspheres", "n": 4000, "p": 256, "d": 4 },
          "model": { "name": "mlp", "layer_size": [512, 512] }, "batch_size": 32, "max_epochs": 50, "seed": 1 }
        """;

    private static long VmRssBytes() =>
        long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;

    private static long MemTotalBytes() =>
        long.Parse(File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;

    private async Task<Dictionary<string, (long Step, double Value)[]>> PointsAsync(long id, params string[] keys)
    {
        var json = await _client.GetFromJsonAsync<JsonElement>($"/api/runs/{id}/metrics?keys={string.Join(",", keys)}");
        return keys.ToDictionary(k => k, k => json.TryGetProperty(k, out var list)
            ? list.EnumerateArray().Select(p => (p.GetProperty("step").GetInt64(), p.GetProperty("value").GetDouble())).ToArray() : []);
    }

    [Fact]
    public async Task A_training_run_gets_its_host_s_cpu_and_memory_as_sys_metrics_at_its_own_steps_and_no_gpu_figures_without_nvidia_smi()
    {
        long id = await _client.LaunchAsync(Spec);
        string[] keys = ["sys/cpu", "sys/rss", "sys/host_mem", "sys/host_mem_total", "loss"];
        Dictionary<string, (long Step, double Value)[]> points = [];
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((points = await PointsAsync(id, keys))["sys/rss"].Length < 4)
        {
            Assert.True(DateTime.UtcNow < deadline, "fewer than 4 samples after 60 s");
            await Task.Delay(200);
        }
        // This process is the server: its resident memory read here, independently, beside the last sample.
        double rss = VmRssBytes() / (1024.0 * 1024 * 1024);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, (await _client.PostAsync($"/api/runs/{id}/cancel", null)).StatusCode);
        var run = await _client.WaitFinishedAsync(id);
        Assert.Equal("cancelled", run.GetProperty("status").GetString());
        points = await PointsAsync(id, keys);

        // At logged steps of the run, one sample a step at most, in step order: the loss's own axis.
        var steps = points["loss"].Select(p => p.Step).ToHashSet();
        foreach (var key in keys[..4])
        {
            Assert.True(points[key].Length >= 4, $"{key}: {points[key].Length} points");
            Assert.All(points[key], p => Assert.Contains(p.Step, steps));
            Assert.Equal(points[key].Select(p => p.Step).Distinct().Count(), points[key].Length);
        }
        var lastRss = points["sys/rss"][^1].Value;
        Assert.InRange(lastRss, rss * 0.5, rss * 1.5);
        // A run training on one thread keeps about one core busy; never more than all of them.
        Assert.All(points["sys/cpu"].Skip(1), p => Assert.InRange(p.Value, 5, 100.0 * Environment.ProcessorCount * 1.2));
        double total = MemTotalBytes() / (1024.0 * 1024 * 1024);
        Assert.All(points["sys/host_mem_total"], p => Assert.Equal(total, p.Value, 3));
        Assert.All(points["sys/host_mem"], p => Assert.InRange(p.Value, lastRss * 0.9, total));

        // A host configured with a GPU but without nvidia-smi: no GPU figures, no error, one line in the log.
        var stored = await _client.GetFromJsonAsync<JsonElement>($"/api/runs/{id}/metrics?keys=sys/gpu0/util,sys/gpu0/mem");
        Assert.Empty(stored.EnumerateObject().SelectMany(p => p.Value.EnumerateArray()));
        Assert.Equal(1, factory.Logged.Count(l => l.Text.StartsWith("GPU figures are not sampled while")));
        Assert.DoesNotContain(factory.Logged, l => l.Level >= LogLevel.Error);
        Assert.DoesNotContain(factory.Logged, l => l.Text.StartsWith("System metrics not sampled"));
    }

    [Fact]
    public async Task The_workers_page_shows_the_host_s_current_cpu_and_memory_and_no_gpu_line_without_nvidia_smi()
    {
        var worker = await WaitForFiguresAsync(_client);
        Assert.Equal(0, worker.GetProperty("gpus").GetArrayLength());
        var html = System.Net.WebUtility.HtmlDecode(await _client.GetStringAsync("/workers"));
        Assert.Matches(@"CPU \d+% · process \d+\.\d GiB", html);
        Assert.Matches(@"host \d+\.\d GiB of \d+\.\d GiB", html);
        Assert.DoesNotContain("worker-gpu", html);
    }

    /// <summary>This host as GET /api/workers lists it once its heartbeat has stored a sample.</summary>
    internal static async Task<JsonElement> WaitForFiguresAsync(HttpClient client)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var workers = await client.GetFromJsonAsync<JsonElement[]>("/api/workers");
            if (workers!.FirstOrDefault(w => w.GetProperty("cpu_percent").ValueKind == JsonValueKind.Number) is { ValueKind: JsonValueKind.Object } w) return w;
            Assert.True(DateTime.UtcNow < deadline, "no figures on the Workers page after 30 s");
            await Task.Delay(200);
        }
    }
}

/// <summary>The GPU figures of a host with a GPU, as a script standing in for nvidia-smi reports them.</summary>
public sealed class GpuMetricsTests(FakeGpuFactory factory) : IClassFixture<FakeGpuFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    [Fact]
    public async Task A_run_gets_the_figures_of_the_gpus_it_trains_on_once_a_step_and_a_figure_nvidia_smi_does_not_report_is_left_out()
    {
        var sampler = factory.Services.GetRequiredService<SystemSampler>();
        var writer = factory.Services.GetRequiredService<MetricWriter>();
        var onGpu = await factory.AddRunAsync();
        var onCpu = await factory.AddRunAsync();
        long step = -1;
        using (sampler.Track(onGpu.Id, [0], () => step))
        using (sampler.Track(onCpu.Id, [], () => step))
        {
            await sampler.SampleAsync(default);   // no step logged yet: nothing
            step = 5;
            await sampler.SampleAsync(default);
            await sampler.SampleAsync(default);   // the same step again: one point a step
            step = 9;
            await sampler.SampleAsync(default);
        }
        step = 12;
        await sampler.SampleAsync(default);       // untracked: nothing more
        await writer.FlushAsync();

        var gpu = await _client.GetFromJsonAsync<JsonElement>($"/api/runs/{onGpu.Id}/metrics?keys=sys/gpu0/util,sys/gpu0/mem,sys/gpu0/mem_total,sys/gpu0/power,sys/gpu0/temp,sys/cpu");
        (long, double)[] Of(JsonElement json, string key) => json.TryGetProperty(key, out var list)
            ? [.. list.EnumerateArray().Select(p => (p.GetProperty("step").GetInt64(), p.GetProperty("value").GetDouble()))] : [];
        Assert.Equal([(5L, 87.0), (9L, 87.0)], Of(gpu, "sys/gpu0/util"));
        Assert.Equal([(5L, 10.0), (9L, 10.0)], Of(gpu, "sys/gpu0/mem"));
        Assert.Equal([(5L, 81559 / 1024.0), (9L, 81559 / 1024.0)], Of(gpu, "sys/gpu0/mem_total"));
        Assert.Equal([(5L, 65.0), (9L, 65.0)], Of(gpu, "sys/gpu0/temp"));
        Assert.Empty(Of(gpu, "sys/gpu0/power"));
        Assert.Equal([5L, 9L], Of(gpu, "sys/cpu").Select(p => p.Item1));

        var cpu = await _client.GetFromJsonAsync<JsonElement>($"/api/runs/{onCpu.Id}/metrics?keys=sys/gpu0/util,sys/cpu");
        Assert.Empty(Of(cpu, "sys/gpu0/util"));
        Assert.Equal([5L, 9L], Of(cpu, "sys/cpu").Select(p => p.Item1));
    }

    [Fact]
    public async Task The_workers_page_shows_each_gpu_s_current_utilisation_memory_power_and_temperature()
    {
        var worker = await SystemMetricsTests.WaitForFiguresAsync(_client);
        Assert.Equal(87, worker.GetProperty("gpus")[0].GetProperty("utilisation").GetDouble());
        var html = System.Net.WebUtility.HtmlDecode(await _client.GetStringAsync("/workers"));
        Assert.Matches(@"CPU \d+% · process \d+\.\d GiB", html);
        // Power is [N/A] on this GPU: a dash, not 0 W.
        Assert.Contains("cuda:0 87% busy · 10.0 GiB of 79.6 GiB · – · 65 °C", html);
        Assert.Contains("NVIDIA Test GPU", html);
    }
}
