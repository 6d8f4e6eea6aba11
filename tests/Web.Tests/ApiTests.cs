using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Dashboard.Web.Tests;

public sealed class ApiTests(DashboardFactory factory) : IClassFixture<DashboardFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    private const string Hyperspheres = """
        { "name": "hps",
          "dataset": { "name": "hyperspheres", "n": 600, "p": 16, "d": 3, "classes": 3 },
          "model": { "name": "mlp", "layer_size": [32], "act_funcs": ["relu"] },
          "optimizer": { "name": "sgd", "lr": 0.1 },
          "batch_size": 30, "max_epochs": 4 }
        """;

    [Fact]
    public async Task A_posted_spec_trains_to_completion_with_its_metrics_stored()
    {
        var response = await _client.PostSpecAsync(Hyperspheres);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(body.GetProperty("experiment_id").GetInt64() > 0);
        var runId = body.GetProperty("run_ids")[0].GetInt64();

        var run = await _client.WaitFinishedAsync(runId);
        Assert.Equal("completed", run.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, run.GetProperty("error").ValueKind);
        Assert.StartsWith("hps/", run.GetProperty("name").GetString());
        Assert.Equal(600, run.GetProperty("spec").GetProperty("dataset").GetProperty("n").GetInt32());
        Assert.Equal(0, run.GetProperty("spec").GetProperty("seed").GetInt32()); // defaults are stored too
        var created = run.GetProperty("created_at").GetDateTime();
        var started = run.GetProperty("started_at").GetDateTime();
        var finished = run.GetProperty("finished_at").GetDateTime();
        Assert.True(created <= started && started <= finished);

        var loss = (await _client.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}/metrics?keys=loss")).GetProperty("loss").EnumerateArray().ToArray();
        Assert.Equal(4 * 480 / 30, loss!.Length);
        var steps = loss.Select(p => p.GetProperty("step").GetInt64()).ToArray();
        Assert.Equal(steps.Order(), steps);
        var values = loss.Select(p => p.GetProperty("value").GetDouble()).ToArray();
        Assert.True(values.TakeLast(8).Average() < values.Take(8).Average());
        Assert.True(loss[0].TryGetProperty("time", out _));

        var accuracy = (await _client.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}/metrics?keys=val_accuracy")).GetProperty("val_accuracy").EnumerateArray().ToArray();
        Assert.Equal(4, accuracy!.Length);
        foreach (var key in new[] { "lr", "updates", "samples", "elapsed", "val_loss", "epoch_time" })
            Assert.NotEmpty(((await _client.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}/metrics?keys={key}")).GetProperty(key).EnumerateArray().ToArray())!);
    }

    [Fact]
    public async Task Runs_in_one_project_are_numbered_in_order()
    {
        var a = (await (await _client.PostSpecAsync(Hyperspheres.Replace("\"hps\"", "\"numbered\""))).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_ids")[0].GetInt64();
        var b = (await (await _client.PostSpecAsync(Hyperspheres.Replace("\"hps\"", "\"numbered\""))).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_ids")[0].GetInt64();
        Assert.Equal("numbered/00001", (await _client.GetFromJsonAsync<JsonElement>($"/api/runs/{a}")).GetProperty("name").GetString());
        Assert.Equal("numbered/00002", (await _client.GetFromJsonAsync<JsonElement>($"/api/runs/{b}")).GetProperty("name").GetString());
    }

    [Theory]
    [InlineData("""{"model":"mlp"}""", "dataset", "required")]
    [InlineData("""{"dataset":"hyperspheres","model":"transformer"}""", "model.name", "unknown model")]
    [InlineData("""{"dataset":"hyperspheres","model":"mlp","optimizer":{"name":"sgd","lr":-0.01}}""", "optimizer.lr", "positive")]
    [InlineData("""{"dataset":"hyperspheres","model":{"name":"mlp","layer_size":[64,32],"act_funcs":["relu"]}}""", "model.act_funcs", "1 activations for 2 layers")]
    [InlineData("""{"dataset":"hyperspheres","model":"mlp","optimiser":{"lr":0.1}}""", "optimiser", "unknown key")]
    [InlineData("""{"dataset":{"name":"hyperspheres","n":"many"},"model":"mlp"}""", "dataset.n", "whole number")]
    [InlineData("""not json""", "spec", "not valid JSON")]
    public async Task A_bad_spec_is_a_400_naming_the_field_and_nothing_is_stored(string json, string field, string message)
    {
        var before = (await _client.GetFromJsonAsync<JsonElement[]>("/api/runs"))!.Length;
        var response = await _client.PostSpecAsync(json);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var messages = problem.GetProperty("errors").GetProperty(field).EnumerateArray().Select(m => m.GetString()).ToList();
        Assert.Contains(messages, m => m!.Contains(message));
        Assert.Equal(before, (await _client.GetFromJsonAsync<JsonElement[]>("/api/runs"))!.Length);
    }

    [Fact]
    public async Task Unknown_runs_are_404_and_metrics_need_a_key()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/api/runs/999999")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/runs/999999")).StatusCode);   // the run page too
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/api/runs/999999/metrics?keys=loss")).StatusCode);
        var created = await (await _client.PostSpecAsync(Hyperspheres)).Content.ReadFromJsonAsync<JsonElement>();
        var response = await _client.GetAsync($"/api/runs/{created.GetProperty("run_ids")[0].GetInt64()}/metrics");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("key", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_diverging_run_is_shown_as_diverged_at_its_step()
    {
        var created = await (await _client.PostSpecAsync(Hyperspheres.Replace("\"lr\": 0.1", "\"lr\": 1e7").Replace("\"max_epochs\": 4", "\"max_epochs\": 50")))
            .Content.ReadFromJsonAsync<JsonElement>();
        var run = await _client.WaitFinishedAsync(created.GetProperty("run_ids")[0].GetInt64());
        Assert.Equal("diverged", run.GetProperty("status").GetString());
        var step = run.GetProperty("diverged_at_step").GetInt64();
        Assert.Contains($"step {step}", run.GetProperty("error").GetString());
        Assert.True(run.GetProperty("epoch").GetInt32() < 50);
    }

    [Fact]
    public async Task A_run_with_schedules_distance_term_and_checkpoints_logs_them_and_shows_its_model()
    {
        var response = await _client.PostSpecAsync("""
            { "name": "dist",
              "dataset": { "name": "hyperspheres", "n": 600, "p": 16, "d": 3, "classes": 3, "noise": 0.4 },
              "model": { "name": "mlp", "layer_size": [24, 12], "batch_norm": true },
              "optimizer": { "name": "sgd_momentum_wdecay", "lr": 0.05, "groups": [ { "params": "head", "name": "adam", "lr": 0.005 } ] },
              "lr_schedule": { "name": "step", "step_size": 2, "gamma": 0.5 },
              "batch_schedule": { "name": "exponential", "growth": 2, "max": 120 },
              "loss_func": { "name": "softmax_loss", "distance": true, "factor": 0.1, "capture_epochs": [1] },
              "checkpoint": { "every": 2, "keep_best": "val_accuracy" },
              "batch_size": 30, "max_epochs": 4 }
            """);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var runId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_ids")[0].GetInt64();
        Assert.Equal("completed", (await _client.WaitFinishedAsync(runId)).GetProperty("status").GetString());

        async Task<double[]> Values(string key) =>
            [.. ((await _client.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}/metrics?keys={key}")).GetProperty(key).EnumerateArray().ToArray())!.Select(p => p.GetProperty("value").GetDouble())];
        // lr 0.05, 0.05, 0.025, 0.025 by epoch; batch 30, 60, 120, 120, so 16 + 8 + 4 + 4 steps.
        var lr = await Values("lr");
        Assert.Equal(32, lr.Length);
        Assert.Equal([0.05, 0.025], lr.Distinct());
        Assert.Equal([30.0, 60, 120], (await Values("batch_size")).Distinct());
        Assert.Equal(3, (await Values("distance")).Length);   // from epoch 2 on, after the minimum of epoch 1
        Assert.Equal(4, (await Values("val_ap")).Length);
        var flops = await Values("flops");
        Assert.True(flops.Zip(flops.Skip(1)).All(p => p.Second > p.First));
        var checkpoints = Path.Combine(factory.DataDir, "runs", runId.ToString(), "checkpoints");
        Assert.True(File.Exists(Path.Combine(checkpoints, "epoch-0004.pt")));
        Assert.True(File.Exists(Path.Combine(checkpoints, "best.pt")));

        var page = await _client.GetStringAsync($"/runs/{runId}");
        Assert.Contains("id=\"distance-chart\"", page);
        Assert.Contains("id=\"model-summary\"", page);
        // 16*24 + 2*24 (linear without bias before batch norm, bn) + 24*12 + 2*12 + 12*3 + 3
        Assert.Contains($"<strong>{16 * 24 + 48 + 24 * 12 + 24 + 12 * 3 + 3:N0}</strong> parameters", page);

        // Another run keeps away from this run's minimum, named the way researchers name runs.
        var name = (await _client.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}")).GetProperty("name").GetString();
        var follow = await _client.PostSpecAsync($$"""
            { "name": "dist", "dataset": { "name": "hyperspheres", "n": 600, "p": 16, "d": 3, "classes": 3, "noise": 0.4 },
              "model": { "name": "mlp", "layer_size": [24, 12], "batch_norm": true },
              "loss_func": { "name": "softmax_loss", "distance": true, "factor": 0.1, "minima_from": ["{{name}}"] },
              "batch_size": 30, "max_epochs": 2, "seed": 3 }
            """);
        var followId = (await follow.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_ids")[0].GetInt64();
        Assert.Equal("completed", (await _client.WaitFinishedAsync(followId)).GetProperty("status").GetString());
        var distances = ((await _client.GetFromJsonAsync<JsonElement>($"/api/runs/{followId}/metrics?keys=distance")).GetProperty("distance").EnumerateArray().ToArray())!;
        Assert.Equal(2, distances.Length);
        Assert.All(distances, d => Assert.True(d.GetProperty("value").GetDouble() > 0));
    }

    [Fact]
    public async Task The_pages_render()
    {
        var created = await (await _client.PostSpecAsync(Hyperspheres)).Content.ReadFromJsonAsync<JsonElement>();
        var id = created.GetProperty("run_ids")[0].GetInt64();
        var list = await _client.GetStringAsync("/");
        Assert.Contains($"href=\"runs/{id}\"", list);
        var page = await _client.GetStringAsync($"/runs/{id}");
        Assert.Contains("id=\"loss-chart\"", page);
        Assert.Contains("hyperspheres", page);
        var form = await _client.GetStringAsync("/experiments/new");
        // Interactive and prerendered: the fields are in the first paint.
        Assert.Contains("id=\"experiment-form\"", form);
        Assert.Contains("id=\"layers\"", form);
        Assert.Contains("id=\"sweep-rows\"", form);
    }

    [Fact]
    public async Task The_in_process_worker_shows_on_the_workers_page_and_health_is_ok()
    {
        var health = await _client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("Healthy", await health.Content.ReadAsStringAsync());

        JsonElement worker = default;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var workers = (await _client.GetFromJsonAsync<JsonElement[]>("/api/workers"))!;
            if (workers.Length == 1) { worker = workers[0]; break; }
            Assert.True(DateTime.UtcNow < deadline, $"{workers.Length} workers reported");
            await Task.Delay(200);
        }
        Assert.True(worker.GetProperty("alive").GetBoolean());
        Assert.Equal(2, worker.GetProperty("slots").GetInt32());   // Worker:Slots of the test host
        Assert.StartsWith("cpu (", worker.GetProperty("devices").GetString());
        Assert.EndsWith("; 1 thread a run, Training:Threads)", worker.GetProperty("devices").GetString());
        Assert.StartsWith($"{Environment.MachineName}:{Environment.ProcessId}:", worker.GetProperty("name").GetString());

        var page = await _client.GetStringAsync("/workers");
        Assert.Contains($"data-worker=\"{worker.GetProperty("name").GetString()}\"", page);
        Assert.Contains(">alive<", page);
    }

    [Fact]
    public async Task Metrics_downsampled_for_a_chart_keep_the_lowest_highest_and_last_points()
    {
        var response = await _client.PostSpecAsync("""
            { "name": "long", "dataset": { "name": "hyperspheres", "n": 3000, "p": 8, "d": 2, "classes": 2 },
              "model": { "name": "mlp", "layer_size": [16] }, "optimizer": { "name": "sgd", "lr": 0.2 },
              "batch_size": 4, "max_epochs": 3 }
            """);
        var runId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_ids")[0].GetInt64();
        await _client.WaitFinishedAsync(runId);
        var full = ((await _client.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}/metrics?keys=loss")).GetProperty("loss").EnumerateArray().ToArray())!;
        Assert.Equal(3 * 600, full.Length);
        var chart = ((await _client.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}/metrics?keys=loss&points=200")).GetProperty("loss").EnumerateArray().ToArray())!;

        Assert.InRange(chart.Length, 100, 200);
        (long Step, double Value) Point(JsonElement p) => (p.GetProperty("step").GetInt64(), p.GetProperty("value").GetDouble());
        var all = full.Select(Point).ToList();
        var kept = chart.Select(Point).ToList();
        Assert.Contains(all.MinBy(p => p.Value), kept);
        Assert.Contains(all.MaxBy(p => p.Value), kept);
        Assert.Equal(all[^1], kept[^1]);
        Assert.Equal(kept.Select(p => p.Step).Order(), kept.Select(p => p.Step));

        var bad = await _client.GetAsync($"/api/runs/{runId}/metrics?keys=loss&points=2");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("points", await bad.Content.ReadAsStringAsync());
    }
}
