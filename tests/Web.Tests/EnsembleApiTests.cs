using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dashboard.Data;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Web.Tests;

/// <summary>
/// /api/analysis/ensembles on runs trained by the test server: refusals naming the field, an ensemble evaluated by its
/// job with the ensemble beside each run, read back as JSON and CSV, and one whose checkpoint went failing with why.
/// </summary>
public sealed class EnsembleApiTests(DashboardFactory factory) : IClassFixture<DashboardFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    private static string Spec(string name, double lr, int seed = 2, string layers = "[12]") => $$"""
        { "name": "{{name}}", "dataset": { "name": "hyperspheres", "n": 400, "p": 8, "d": 2, "classes": 3, "noise": 0.3 },
          "model": { "name": "mlp", "layer_size": {{layers}} }, "optimizer": { "name": "sgd_momentum_wdecay", "lr": {{lr}} },
          "batch_size": 40, "max_epochs": 2, "seed": {{seed}} }
        """;

    private async Task<long> TrainedAsync(string spec)
    {
        var id = await _client.LaunchAsync(spec);
        Assert.Equal("completed", (await _client.WaitFinishedAsync(id)).GetProperty("status").GetString());
        return id;
    }

    private Task<HttpResponseMessage> PostAsync(string json) =>
        _client.PostAsync("/api/analysis/ensembles", new StringContent(json, Encoding.UTF8, "application/json"));

    private async Task<string[]> RefusedAsync(string json, string field)
    {
        var response = await PostAsync(json);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, body);
        var errors = JsonDocument.Parse(body).RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var list), body);
        return [.. list.EnumerateArray().Select(e => e.GetString()!)];
    }

    private async Task<JsonElement> WaitEvaluatedAsync(long id)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var e = await _client.GetFromJsonAsync<JsonElement>($"/api/analysis/ensembles/{id}");
            if (e.GetProperty("status").GetString() is "done" or "failed") return e;
            Assert.True(DateTime.UtcNow < deadline, $"ensemble {id} not evaluated after 60 s: {e}");
            await Task.Delay(100);
        }
    }

    private async Task<int> EnsembleCountAsync() => (await _client.GetFromJsonAsync<JsonElement>("/api/analysis/ensembles")).GetArrayLength();

    [Fact]
    public async Task Two_runs_are_evaluated_together_and_read_back_as_json_and_csv()
    {
        var a = await TrainedAsync(Spec("ensa", 0.1));
        var b = await TrainedAsync(Spec("ensa", 0.02, layers: "[24, 6]"));

        var response = await PostAsync($$"""{ "runs": [{{a}}, {{b}}], "name": "two lrs" }""");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.Content.ReadFromJsonAsync<JsonElement>();
        var id = created.GetProperty("id").GetInt64();
        Assert.Equal($"/api/analysis/ensembles/{id}", response.Headers.Location!.OriginalString);
        var e = await WaitEvaluatedAsync(id);

        Assert.Equal("done", e.GetProperty("status").GetString());
        Assert.Equal("two lrs", e.GetProperty("name").GetString());
        Assert.Equal(2, e.GetProperty("evaluated").GetInt32());
        Assert.Equal(80, e.GetProperty("samples").GetInt32());
        var members = e.GetProperty("members").EnumerateArray().ToList();
        Assert.Equal([a, b], members.Select(m => m.GetProperty("run_id").GetInt64()));
        Assert.Equal(["ensa/00001", "ensa/00002"], members.Select(m => m.GetProperty("run").GetString()));
        Assert.All(members, m => Assert.Equal("epoch-0002.pt", m.GetProperty("checkpoint").GetString()));
        // Each run's accuracy is the one it validated with at its last epoch.
        foreach (var (m, run) in members.Zip([a, b]))
            Assert.Equal((await _client.RunAsync(run)).GetProperty("metrics").GetProperty("val_accuracy").GetProperty("last").GetDouble(),
                m.GetProperty("accuracy").GetDouble());
        var ensemble = e.GetProperty("ensemble");
        var loss = ensemble.GetProperty("loss").GetDouble();
        Assert.True(loss <= members.Average(m => m.GetProperty("loss").GetDouble()));
        Assert.All(members, m => Assert.NotEqual(m.GetProperty("loss").GetDouble(), loss));

        var csv = await _client.GetStringAsync($"/api/analysis/ensembles/{id}.csv");
        var lines = csv.TrimEnd('\n').Split('\n');
        Assert.Equal("row,run_id,run,checkpoint,accuracy,loss,ap", lines[0]);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith($"member,{a},ensa/00001,epoch-0002.pt,", lines[1]);
        Assert.Equal(loss, double.Parse(lines[3].Split(',')[5], System.Globalization.CultureInfo.InvariantCulture));
        Assert.StartsWith("ensemble,,,last,", lines[3]);

        var list = await _client.GetFromJsonAsync<JsonElement>("/api/analysis/ensembles");
        var listed = list.EnumerateArray().Single(x => x.GetProperty("id").GetInt64() == id);
        Assert.Equal(2, listed.GetProperty("members").GetInt32());
        Assert.Equal(loss, listed.GetProperty("loss").GetDouble());
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/api/analysis/ensembles/999999")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/api/analysis/ensembles/999999.csv")).StatusCode);
    }

    [Fact]
    public async Task Bad_requests_are_refused_naming_the_field_and_nothing_is_stored()
    {
        var a = await TrainedAsync(Spec("ensb", 0.1));
        var otherSeed = await TrainedAsync(Spec("ensb", 0.1, seed: 3));
        var before = await EnsembleCountAsync();

        Assert.Equal(["required: the ids of the runs to evaluate together, e.g. [1, 2]"], await RefusedAsync("{}", "runs"));
        Assert.Equal(["choose at least 2 different runs, got 1"], await RefusedAsync($$"""{ "runs": [{{a}}, {{a}}] }""", "runs"));
        Assert.Equal(["\"x\" is not a run id (a positive whole number)"], await RefusedAsync("""{ "runs": ["x", 2] }""", "runs"));
        Assert.Equal(["no run 999999"], await RefusedAsync($$"""{ "runs": [{{a}}, 999999] }""", "runs"));
        Assert.Equal([$"ensb/00002 has seed 3 and ensb/00001 seed 2: hyperspheres are generated from the run's seed, so their validation sets differ"],
            await RefusedAsync($$"""{ "runs": [{{a}}, {{otherSeed}}] }""", "runs"));
        Assert.Equal(["'worst' is not one of last, best"], await RefusedAsync($$"""{ "runs": [{{a}}, {{otherSeed}}], "checkpoint": "worst" }""", "checkpoint"));
        Assert.Equal([$"at most {Ensemble.NameLength} characters, got 200"], await RefusedAsync($$"""{ "runs": [{{a}}, {{otherSeed}}], "name": "{{new string('n', 200)}}" }""", "name"));
        var queued = await factory.AddRunAsync("ensq", status: RunStatus.Queued);
        Assert.Equal(["ensq/00001 is queued: choose runs that have ended, whose last checkpoint stays as it is"],
            await RefusedAsync($$"""{ "runs": [{{a}}, {{queued.Id}}] }""", "runs"));
        Assert.Equal(before, await EnsembleCountAsync());
    }

    [Fact]
    public async Task A_run_whose_checkpoints_are_gone_fails_the_ensemble_saying_which()
    {
        var a = await TrainedAsync(Spec("ensc", 0.1));
        var b = await TrainedAsync(Spec("ensc", 0.05));
        var storage = factory.Services.GetRequiredService<StorageOptions>();
        Directory.Delete(storage.CheckpointDir(b), recursive: true);

        var response = await PostAsync($$"""{ "runs": [{{a}}, {{b}}] }""");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var e = await WaitEvaluatedAsync((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64());

        Assert.Equal("failed", e.GetProperty("status").GetString());
        Assert.Equal("ensc/00001 + ensc/00002", e.GetProperty("name").GetString());
        Assert.Equal($"ensc/00002 has no checkpoint in {storage.CheckpointDir(b)} on {ProcessIdentity.Machine}", e.GetProperty("error").GetString());
        Assert.Equal(JsonValueKind.Null, e.GetProperty("ensemble").GetProperty("loss").ValueKind);
    }
}
