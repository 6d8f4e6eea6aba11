using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Dashboard.Web.Tests;

public sealed class SweepApiTests(DashboardFactory factory) : IClassFixture<DashboardFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    private const string Base = """
        "name": "sw", "dataset": { "name": "hyperspheres", "n": 200, "p": 8, "d": 2 },
        "model": { "name": "mlp", "layer_size": [8] }, "max_epochs": 1
        """;

    private async Task<int> RunCount() => (await _client.GetFromJsonAsync<JsonElement[]>("/api/runs?limit=1000"))!.Length;

    [Fact]
    public async Task The_preview_counts_the_runs_of_a_sweep_without_creating_them()
    {
        var before = await RunCount();
        var response = await _client.PostAsync("/api/experiments/preview", new StringContent($$"""
            { {{Base}}, "sweep": { "method": "random", "count": 12, "parameters": {
                "optimizer.lr": { "min": 0.0001, "max": 0.1, "distribution": "log_uniform" }, "model.layer_size": [[8], [16, 8]] } } }
            """, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var preview = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(12, preview.GetProperty("runs").GetInt32());
        Assert.Equal(["optimizer.lr", "model.layer_size"], preview.GetProperty("parameters").EnumerateArray().Select(p => p.GetString()));
        Assert.All(preview.GetProperty("assignments").EnumerateArray(), a => Assert.InRange(a.GetProperty("optimizer.lr").GetDouble(), 0.0001, 0.1));
        Assert.Equal(before, await RunCount());
    }

    [Fact]
    public async Task A_sweep_with_one_bad_value_is_a_400_naming_it_and_creates_no_run()
    {
        var before = await RunCount();
        var response = await _client.PostSpecAsync($$"""{ {{Base}}, "sweep": { "parameters": { "batch_size": [10, 0], "seed": [0, 1] } } }""");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var message = problem.GetProperty("errors").GetProperty("sweep.parameters.batch_size")[0].GetString();
        Assert.StartsWith("0: ", message);
        Assert.Equal(before, await RunCount());
    }
}
