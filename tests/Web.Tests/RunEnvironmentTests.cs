using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;

namespace Dashboard.Web.Tests;

/// <summary>What a run trained with (seed, engine, libtorch, BLAS, device), as the API and the exports give it, on runs
/// the test server really trained with the real shim.</summary>
public sealed class RunEnvironmentTests(DashboardFactory factory) : IClassFixture<DashboardFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    private const string Spec = """
        { "name": "env", "dataset": { "name": "hyperspheres", "n": 200, "p": 8, "d": 2 }, "model": { "name": "mlp", "layer_size": [8] },
          "max_epochs": 1, "seed": 7 }
        """;

    /// <summary>This machine's CPU, read here rather than through the code under test.</summary>
    public static string CpuModel() =>
        File.ReadLines("/proc/cpuinfo").First(l => l.StartsWith("model name", StringComparison.Ordinal)).Split(':', 2)[1].Trim();

    public static string EngineVersion() =>
        typeof(Dashboard.Training.Worker.RunExecutor).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;

    private static void AssertTrainedHere(JsonElement environment)
    {
        Assert.Equal(1, environment.GetProperty("attempt").GetInt32());
        Assert.StartsWith(Environment.MachineName + ":", environment.GetProperty("host").GetString());
        Assert.Equal("cpu", environment.GetProperty("devices").GetString());
        Assert.Equal(CpuModel(), environment.GetProperty("device_model").GetString());
        Assert.Equal(EngineVersion(), environment.GetProperty("engine_version").GetString());
        Assert.StartsWith("1.13.", environment.GetProperty("torch_version").GetString());
        Assert.Equal("CPU", environment.GetProperty("torch_build").GetString());
        Assert.False(string.IsNullOrEmpty(environment.GetProperty("blas").GetString()));
        Assert.Contains("OpenMP", environment.GetProperty("cpu_backends").GetString());
    }

    [Fact]
    public async Task A_trained_run_records_its_seed_and_what_its_host_trained_it_with_in_the_api_and_the_json_export()
    {
        long id = await _client.LaunchAsync(Spec);
        // Launched without a seed: the one it trains with is the spec's default, written into its stored spec.
        long unseeded = await _client.LaunchAsync(Spec.Replace(""", "seed": 7""", ""));
        var run = await _client.WaitFinishedAsync(id);
        Assert.Equal("completed", run.GetProperty("status").GetString());
        Assert.Equal("completed", (await _client.WaitFinishedAsync(unseeded)).GetProperty("status").GetString());

        Assert.Equal(7, run.GetProperty("seed").GetInt64());
        Assert.Equal(7, run.GetProperty("spec").GetProperty("seed").GetInt64());
        AssertTrainedHere(run.GetProperty("environment"));
        Assert.Equal(1, run.GetProperty("attempts").GetArrayLength());
        Assert.Equal("completed", run.GetProperty("attempts")[0].GetProperty("outcome").GetString());
        // Lists leave libtorch's full report to the exports.
        Assert.False(run.GetProperty("environment").TryGetProperty("torch_report", out _));
        var other = await _client.RunAsync(unseeded);
        Assert.Equal(0, other.GetProperty("seed").GetInt64());
        Assert.Equal(0, other.GetProperty("spec").GetProperty("seed").GetInt64());

        var listed = (await _client.GetFromJsonAsync<JsonElement[]>($"/api/runs?ids={id}"))!.Single();
        AssertTrainedHere(listed.GetProperty("environment"));

        var exported = (await _client.GetFromJsonAsync<JsonElement[]>($"/api/runs/export.json?ids={id},{unseeded}"))!;
        Assert.Equal([7L, 0L], exported.Select(r => r.GetProperty("seed").GetInt64()));
        AssertTrainedHere(exported[0].GetProperty("environment"));
        AssertTrainedHere(exported[0].GetProperty("attempts")[0]);
        var report = exported[0].GetProperty("environment").GetProperty("torch_report").GetString();
        Assert.Contains("PyTorch built with:", report);
        Assert.Contains("USE_CUDA=OFF", report);
    }

    [Fact]
    public async Task A_queued_run_has_its_seed_and_no_environment_yet()
    {
        // Stored queued without a job (the server had started already): no host starts it.
        var run = await factory.AddRunAsync("never", status: Dashboard.Data.RunStatus.Queued, spec: StoredRuns.Spec.Replace("\"seed\":0", "\"seed\":12"));
        var json = await _client.RunAsync(run.Id);
        Assert.Equal(12, json.GetProperty("seed").GetInt64());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("environment").ValueKind);
        Assert.Equal(0, json.GetProperty("attempts").GetArrayLength());
    }
}
