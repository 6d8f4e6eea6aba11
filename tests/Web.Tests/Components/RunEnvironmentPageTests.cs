using System.Net.Http.Json;
using System.Text.Json;
using Bunit;
using Dashboard.Data;
using Dashboard.Web.Components.Pages.Runs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Web.Tests.Components;

/// <summary>bUnit: the run page's Environment section, for a run the test server trained and for stored attempts.</summary>
public sealed class RunEnvironmentPageTests(DashboardFactory factory) : AppTestContext(factory)
{
    private string Cell(IRenderedComponent<RunPage> page, string field, int attempt = 0) =>
        page.FindAll($"#run-environment tr[data-field={field}] td")[attempt].TextContent.Trim();

    [Fact]
    public async Task A_trained_run_shows_its_seed_and_the_libtorch_build_and_cpu_it_trained_on()
    {
        var client = Factory.CreateClient();
        long id = await client.LaunchAsync("""
            { "name": "envpage", "dataset": { "name": "hyperspheres", "n": 200, "p": 8, "d": 2 }, "model": { "name": "mlp", "layer_size": [8] },
              "max_epochs": 1, "seed": 31 }
            """);
        Assert.Equal("completed", (await client.WaitFinishedAsync(id)).GetProperty("status").GetString());

        var page = Render<RunPage>(p => p.Add(r => r.Id, id));
        page.WaitForAssertion(() => Assert.Equal("31", page.Find("#run-environment [data-field=seed]").TextContent.Trim()));
        Assert.Equal(RunEnvironmentTests.CpuModel(), Cell(page, "device_model"));
        Assert.StartsWith("1.13.", Cell(page, "torch_version"));
        Assert.Equal("CPU", Cell(page, "torch_build"));
        Assert.Equal(RunEnvironmentTests.EngineVersion(), Cell(page, "engine_version"));
        Assert.StartsWith(Environment.MachineName + ":", Cell(page, "host"));
        Assert.Contains("OpenMP", Cell(page, "cpu_backends"));
        Assert.Contains("PyTorch built with:", page.Find("#torch-report").TextContent);
        // The page and the API say the same.
        var api = (await client.GetFromJsonAsync<JsonElement>($"/api/runs/{id}")).GetProperty("environment");
        foreach (var field in new[] { "host", "device_model", "engine_version", "torch_version", "torch_build", "blas", "cpu_backends" })
            Assert.Equal(api.GetProperty(field).GetString(), Cell(page, field));
        Assert.Equal($"api/runs/export.json?ids={id}", page.Find("#export-json").GetAttribute("href"));
    }

    [Fact]
    public async Task A_run_resumed_on_another_host_shows_each_attempts_environment_and_an_unrecorded_one_says_so()
    {
        var run = await Factory.AddRunAsync("resumed", spec: StoredRuns.Spec.Replace("\"seed\":0", "\"seed\":5"));
        var dbs = Factory.Services.GetRequiredService<IDbContextFactory<DashboardDb>>();
        await using (var db = await dbs.CreateDbContextAsync())
        {
            // The first started before environments were recorded; the second on a GPU host.
            db.RunAttempts.Add(new RunAttempt { RunId = run.Id, Number = 1, Host = "cpu-box:10:aaaa", Devices = "cpu", StartedAt = DateTime.UtcNow.AddHours(-1), Outcome = "lost" });
            db.RunAttempts.Add(new RunAttempt
            {
                RunId = run.Id, Number = 2, Host = "gpu-box:20:bbbb", Devices = "cuda:0,cuda:1", StartedAt = DateTime.UtcNow, ResumedAfterEpoch = 2,
                EngineVersion = "1.0.0+0123456789abcdef0123456789abcdef01234567", TorchVersion = "2.2.0", TorchBuild = "CUDA 12.1, cuDNN 8.9.2",
                Blas = "MKL 2022.2", CpuBackends = "OpenMP 4.5, oneDNN 3.3.2, AVX512", DeviceModel = "2 x NVIDIA H100 80GB HBM3", TorchReport = "PyTorch built with: (gpu-box)",
            });
            await db.SaveChangesAsync();
        }

        var page = Render<RunPage>(p => p.Add(r => r.Id, run.Id));
        page.WaitForAssertion(() => Assert.Equal("5", page.Find("#run-environment [data-field=seed]").TextContent.Trim()));
        Assert.Equal(["#1", "#2"], page.FindAll("#run-environment tr:not([data-field]) th:not([scope])").Select(c => c.TextContent));
        Assert.Equal("cpu-box:10:aaaa", Cell(page, "host", 0));
        Assert.Equal("gpu-box:20:bbbb", Cell(page, "host", 1));
        Assert.Equal("not recorded", Cell(page, "torch_version", 0));
        Assert.Equal("2 x NVIDIA H100 80GB HBM3", Cell(page, "device_model", 1));
        Assert.Equal("CUDA 12.1, cuDNN 8.9.2", Cell(page, "torch_build", 1));
        // The report shown is the latest attempt's.
        Assert.Equal("PyTorch built with: (gpu-box)", page.Find("#torch-report").TextContent);
    }

    [Fact]
    public async Task A_run_not_started_yet_shows_its_seed_and_says_the_rest_comes_at_its_start()
    {
        var run = await Factory.AddRunAsync("waiting", status: RunStatus.Queued);
        var page = Render<RunPage>(p => p.Add(r => r.Id, run.Id));
        page.WaitForAssertion(() => Assert.Equal("0", page.Find("#run-environment [data-field=seed]").TextContent.Trim()));
        Assert.NotNull(page.Find("#environment-pending"));
        Assert.Empty(page.FindAll("#torch-report"));
    }
}
