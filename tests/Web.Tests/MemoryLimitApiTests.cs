using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Web.Tests;

/// <summary>
/// A run estimated beyond the memory of the device it asks for is refused by launch and preview alike, against the
/// field to change, with the estimate and the limit; nothing is stored.
/// </summary>
public sealed class MemoryLimitApiTests(DashboardFactory factory) : IClassFixture<DashboardFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    /// <summary>
    /// Four hidden layers of 65,536 (the widest the validator allows) with narrow ones between, few parameters, and a
    /// batch of all 800,000 training samples: about 2 TB of activations, beyond any machine these tests run on.
    /// </summary>
    private const string WideBatch = """
        { "name": "mem", "dataset": { "name": "hyperspheres", "n": 1000000, "p": 8, "d": 2 },
          "model": { "name": "mlp", "layer_size": [65536, 8, 65536, 8, 65536, 8, 65536] }, "batch_size": 1000000, "max_epochs": 1 }
        """;

    private async Task<int> RunCount() => (await _client.GetFromJsonAsync<JsonElement[]>("/api/runs?limit=1000"))!.Length;

    private async Task<string[]> ErrorsOf(string path, string body, string field)
    {
        var response = await _client.PostAsync(path, new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
        var errors = JsonDocument.Parse(text).RootElement.GetProperty("errors");
        return errors.TryGetProperty(field, out var list) ? [.. list.EnumerateArray().Select(e => e.GetString()!)] : [];
    }

    [Theory]
    [InlineData("/api/experiments/preview")]
    [InlineData("/api/experiments")]
    public async Task A_batch_whose_activations_exceed_the_machine_is_refused_against_batch_size_with_the_estimate(string path)
    {
        var before = await RunCount();
        var errors = await ErrorsOf(path, WideBatch, "batch_size");
        var message = Assert.Single(errors);
        Assert.Matches(@"^the run needs ≈ [\d.]+ TB: parameters .*, activations [\d.]+ TB at batch 800,000, .*; cpu has [\d.]+ GB on the largest host that trains on it: train with a smaller batch$", message);
        Assert.Equal(before, await RunCount());
    }

    [Theory]
    [InlineData("/api/experiments/preview")]
    [InlineData("/api/experiments")]
    public async Task The_924_million_parameter_mlp_is_refused_against_its_layers_on_a_gpu_of_one_gib(string path)
    {
        // A host reports a GPU of 1 GiB, as the heartbeat writes it from nvidia-smi; the run asks for that device.
        var dbs = factory.Services.GetRequiredService<IDbContextFactory<DashboardDb>>();
        await using (var db = await dbs.CreateDbContextAsync())
        {
            db.WorkerHosts.Add(new WorkerHost { Name = $"small-gpu-{Guid.NewGuid():N}", Devices = "cuda:7 (Test GPU, 1 GiB, 0.0 GiB used)", Slots = 1,
                StartedAt = DateTime.UtcNow, HeartbeatAt = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }
        try
        {
            var before = await RunCount();
            var errors = await ErrorsOf(path, """
                { "name": "mem", "device": "cuda:7", "dataset": { "name": "hyperspheres", "n": 2000, "p": 784, "classes": 10 },
                  "model": { "name": "mlp", "layer_size": [30000, 30000] }, "max_epochs": 1 }
                """, "model.layer_size");
            var message = Assert.Single(errors);
            Assert.StartsWith("the run needs ≈ 11.1 GB: parameters 3.7 GB, gradients 3.7 GB, ", message);
            Assert.EndsWith("; cuda:7 has 1.1 GB on the largest host that trains on it: make the layers smaller", message);
            Assert.Equal(before, await RunCount());
        }
        finally
        {
            await using var db = await dbs.CreateDbContextAsync();
            await db.WorkerHosts.Where(w => w.Name.StartsWith("small-gpu-")).ExecuteDeleteAsync();
        }
    }

    [Fact]
    public async Task Adam_with_weight_decay_on_the_924_million_parameter_mlp_is_too_large_at_any_batch_so_the_layers_are_named()
    {
        // Weights, gradients and two moments hold 14.8 GB, within the 20 GiB reported; the step's copies of the
        // 30000 x 30000 matrix take it beyond, whatever the batch.
        var dbs = factory.Services.GetRequiredService<IDbContextFactory<DashboardDb>>();
        await using (var db = await dbs.CreateDbContextAsync())
        {
            db.WorkerHosts.Add(new WorkerHost { Name = $"mid-gpu-{Guid.NewGuid():N}", Devices = "cuda:5 (Test GPU, 20 GiB, 0.0 GiB used)", Slots = 1,
                StartedAt = DateTime.UtcNow, HeartbeatAt = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }
        try
        {
            var spec = """
                { "name": "mem", "device": "cuda:5", "dataset": { "name": "hyperspheres", "n": 2000, "p": 784, "classes": 10 },
                  "model": { "name": "mlp", "layer_size": [30000, 30000] }, "optimizer": { "name": "adam", "weight_decay": 0.01 }, "max_epochs": 1 }
                """;
            var message = Assert.Single(await ErrorsOf("/api/experiments/preview", spec, "model.layer_size"));
            Assert.Contains("optimizer state 7.4 GB", message);
            Assert.Contains("cuda:5 has 21.5 GB", message);
            Assert.Empty(await ErrorsOf("/api/experiments/preview", spec, "batch_size"));
        }
        finally
        {
            await using var db = await dbs.CreateDbContextAsync();
            await db.WorkerHosts.Where(w => w.Name.StartsWith("mid-gpu-")).ExecuteDeleteAsync();
        }
    }

    [Fact]
    public async Task A_device_whose_memory_no_host_reports_is_not_refused()
    {
        // cuda:9: no host offers it here, so its memory is unknown; the run waits for a host like any other.
        var response = await _client.PostAsync("/api/experiments/preview", new StringContent("""
            { "name": "mem", "device": "cuda:9", "dataset": { "name": "hyperspheres", "n": 2000, "p": 784, "classes": 10 },
              "model": { "name": "mlp", "layer_size": [30000, 30000] }, "max_epochs": 1 }
            """, System.Text.Encoding.UTF8, "application/json"));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }
}
