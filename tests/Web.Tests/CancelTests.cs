using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Dashboard.Web.Tests;

/// <summary>Cancel through the API: a running run stops within seconds, a queued one never starts, an ended one is a 409.</summary>
public sealed class CancelTests(DashboardFactory factory) : IClassFixture<DashboardFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    // About a thousand steps an epoch for 500 epochs: it runs until cancelled.
    private const string Long = """
        { "name": "long",
          "dataset": { "name": "hyperspheres", "n": 20000, "p": 16, "d": 3, "classes": 3 },
          "model": { "name": "mlp", "layer_size": [32] }, "batch_size": 16, "max_epochs": 500 }
        """;

    private async Task<int> LossPointsAsync(long id) =>
        ((await _client.GetFromJsonAsync<JsonElement>($"/api/runs/{id}/metrics?keys=loss")).GetProperty("loss").EnumerateArray().ToArray())!.Length;

    private Task<HttpResponseMessage> CancelAsync(long id) => _client.PostAsync($"/api/runs/{id}/cancel", null);

    [Fact]
    public async Task A_running_run_stops_within_seconds_and_a_queued_one_never_starts()
    {
        // Two slots: the first two train, the third waits in the queue.
        long a = await _client.LaunchAsync(Long), b = await _client.LaunchAsync(Long);
        await _client.WaitForAsync(a, r => r.GetProperty("status").GetString() == "running", "running");
        await _client.WaitForAsync(b, r => r.GetProperty("status").GetString() == "running", "running");
        long c = await _client.LaunchAsync(Long);

        var queued = await CancelAsync(c);
        Assert.Equal(HttpStatusCode.OK, queued.StatusCode);
        Assert.Equal("cancelled", (await queued.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());

        var trained = DateTime.UtcNow.AddSeconds(60);
        while (await LossPointsAsync(a) < 20)
        {
            Assert.True(DateTime.UtcNow < trained, $"run {a} logged no 20 steps in 60 s: {(await _client.RunAsync(a)).GetProperty("status")}");
            await Task.Delay(100);
        }
        var asked = DateTime.UtcNow;
        var running = await CancelAsync(a);
        Assert.Equal(HttpStatusCode.Accepted, running.StatusCode);
        var stopped = await _client.WaitForAsync(a, r => r.GetProperty("status").GetString() == "cancelled", "cancelled", seconds: 10);
        Assert.True(DateTime.UtcNow - asked < TimeSpan.FromSeconds(10));
        Assert.Equal("cancelled on request", stopped.GetProperty("error").GetString());
        int points = await LossPointsAsync(a);
        await Task.Delay(1500);
        Assert.Equal(points, await LossPointsAsync(a));   // nothing trains any more

        Assert.Equal(HttpStatusCode.Accepted, (await CancelAsync(b)).StatusCode);
        await _client.WaitForAsync(b, r => r.GetProperty("status").GetString() == "cancelled", "cancelled", seconds: 10);
        // The queued run had a free slot by now, and still never started.
        await Task.Delay(2000);
        var never = await _client.RunAsync(c);
        Assert.Equal("cancelled", never.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, never.GetProperty("started_at").ValueKind);
        Assert.Equal(0, await LossPointsAsync(c));
    }

    [Fact]
    public async Task Cancelling_an_ended_run_is_a_409_and_an_unknown_one_a_404()
    {
        long id = await _client.LaunchAsync("""
            { "name": "short", "dataset": { "name": "hyperspheres", "n": 300, "p": 8, "d": 2, "classes": 2 },
              "model": { "name": "mlp", "layer_size": [8] }, "batch_size": 50, "max_epochs": 2 }
            """);
        await _client.WaitForAsync(id, r => r.GetProperty("status").GetString() == "completed", "completed");
        var response = await CancelAsync(id);
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("has already ended: completed", await response.Content.ReadAsStringAsync());
        Assert.Equal("completed", (await _client.RunAsync(id)).GetProperty("status").GetString());
        var missing = await CancelAsync(999_999);
        Assert.True(missing.StatusCode == HttpStatusCode.NotFound, $"{missing.StatusCode}: {await missing.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task A_run_asking_for_a_gpu_this_worker_lacks_fails_at_once_saying_so()
    {
        long id = await _client.LaunchAsync("""
            { "name": "gpu", "device": "cuda:0", "dataset": { "name": "hyperspheres", "n": 300, "p": 8, "d": 2, "classes": 2 },
              "model": { "name": "mlp", "layer_size": [8] }, "max_epochs": 2 }
            """);
        var run = await _client.WaitForAsync(id, r => r.GetProperty("status").GetString() == "failed", "failed");
        Assert.StartsWith("needs 1 GPU; this worker has cpu", run.GetProperty("error").GetString());
    }
}
