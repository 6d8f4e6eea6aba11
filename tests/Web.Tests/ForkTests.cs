using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dashboard.Data;

namespace Dashboard.Web.Tests;

/// <summary>
/// Forks trained by the test server: a run that starts from another run's checkpoint with its weights and optimizer
/// state, goes on at the step after it, and keeps its lineage; launches that could not go on from it are refused.
/// </summary>
public sealed class ForkTests(DashboardFactory factory) : IClassFixture<DashboardFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    // 480 training samples in batches of 48: 10 steps an epoch, a checkpoint after each.
    private static string Spec(string name, double lr = 0.1, int epochs = 4, string? forkFrom = null, string layers = "[16]", string optimizer = "sgd_momentum_wdecay") => $$"""
        { "name": "{{name}}", "dataset": { "name": "hyperspheres", "n": 600, "p": 8, "d": 2, "classes": 3 },
          "model": { "name": "mlp", "layer_size": {{layers}} }, "optimizer": { "name": "{{optimizer}}", "lr": {{lr}} },
          "batch_size": 48, "max_epochs": {{epochs}}, "seed": 3, "checkpoint": { "every": 1, "keep_last": 10 }
          {{(forkFrom is null ? "" : $", \"fork_from\": \"{forkFrom}\"")}} }
        """;

    private async Task<(long Step, double Value)[]> LossAsync(long runId) =>
        [.. (await _client.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}/metrics?keys=loss")).GetProperty("loss").EnumerateArray()
            .Select(p => (p.GetProperty("step").GetInt64(), p.GetProperty("value").GetDouble()))];

    private async Task<long> TrainedParentAsync(string name)
    {
        var id = await _client.LaunchAsync(Spec(name));
        Assert.Equal("completed", (await _client.WaitFinishedAsync(id)).GetProperty("status").GetString());
        return id;
    }

    [Fact]
    public async Task A_fork_goes_on_from_the_parents_step_exactly_as_the_parent_did_and_a_lower_rate_changes_only_what_comes_after()
    {
        var parentId = await TrainedParentAsync("forka");
        var parent = await LossAsync(parentId);
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), parent.Select(p => p.Step));

        var sameId = await _client.LaunchAsync(Spec("forka", forkFrom: "forka/00001@epoch-0002"));
        var lowerId = await _client.LaunchAsync(Spec("forka", lr: 0.01, forkFrom: "forka/00001@epoch-0002"));
        var same = await _client.WaitFinishedAsync(sameId);
        var lower = await _client.WaitFinishedAsync(lowerId);

        Assert.Equal("completed", same.GetProperty("status").GetString());
        Assert.Equal("completed", lower.GetProperty("status").GetString());
        var fork = same.GetProperty("fork_of");
        Assert.Equal(parentId, fork.GetProperty("run_id").GetInt64());
        Assert.Equal("epoch-0002", fork.GetProperty("checkpoint").GetString());
        Assert.Equal(2, fork.GetProperty("epoch").GetInt32());
        Assert.Equal(20, fork.GetProperty("step").GetInt64());
        // The same settings from the same weights, optimizer state, data order and draws: the parent's epochs 3 and 4.
        var sameLoss = await LossAsync(sameId);
        Assert.Equal(parent.Where(p => p.Step > 20), sameLoss);
        // A lower rate: the first step's loss is read before its update, from the parent's weights; later ones differ.
        var lowerLoss = await LossAsync(lowerId);
        Assert.Equal(Enumerable.Range(21, 20).Select(i => (long)i), lowerLoss.Select(p => p.Step));
        Assert.Equal(parent[20].Value, lowerLoss[0].Value);
        Assert.NotEqual(parent[21].Value, lowerLoss[1].Value);
        Assert.Equal(2, (await _client.RunAsync(lowerId)).GetProperty("attempts")[0].GetProperty("resumed_after_epoch").GetInt32());
        Assert.Equal(JsonValueKind.Null, (await _client.RunAsync(parentId)).GetProperty("fork_of").ValueKind);
    }

    [Fact]
    public async Task A_fork_that_cannot_go_on_from_its_checkpoint_is_refused_at_the_field_to_change_and_nothing_is_stored()
    {
        await TrainedParentAsync("forkb");
        var before = (await _client.GetFromJsonAsync<JsonElement[]>("/api/runs?limit=1000"))!.Length;

        async Task<string[]> ErrorsAsync(string spec, string field)
        {
            var response = await _client.PostSpecAsync(spec);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, body);
            return JsonDocument.Parse(body).RootElement.GetProperty("errors").TryGetProperty(field, out var list)
                ? [.. list.EnumerateArray().Select(e => e.GetString()!)] : [body];
        }

        Assert.Contains(await ErrorsAsync(Spec("forkb", layers: "[32]", forkFrom: "forkb/00001@epoch-0002"), "fork_from"),
            m => m.StartsWith("forkb/00001@epoch-0002: its linear2 gives [16] with 144 parameters, this spec's linear2 [32] with 288") && m.Contains("a fork keeps the model's shape"));
        Assert.Contains(await ErrorsAsync(Spec("forkb", optimizer: "adam", forkFrom: "forkb/00001@epoch-0002"), "optimizer.name"),
            m => m.Contains("trained with sgd_momentum_wdecay: its optimizer state does not fit adam"));
        Assert.Contains(await ErrorsAsync(Spec("forkb", epochs: 2, forkFrom: "forkb/00001@epoch-0002"), "max_epochs"),
            m => m.StartsWith("must exceed 2, the epoch forkb/00001@epoch-0002 stood at"));
        Assert.Contains(await ErrorsAsync(Spec("forkb", forkFrom: "forkb/00001@epoch-0009"), "fork_from"),
            m => m == "forkb/00001@epoch-0009: forkb/00001 has no checkpoint epoch-0009 (it keeps epoch-0001, epoch-0002, epoch-0003, epoch-0004)");
        Assert.Contains(await ErrorsAsync(Spec("forkb", forkFrom: "ghost/00001@best"), "fork_from"),
            m => m == "ghost/00001@best: no run ghost/00001 exists");
        Assert.Contains(await ErrorsAsync(Spec("forkb", forkFrom: "forkb@2"), "fork_from"), m => m.StartsWith("must name a run's checkpoint"));
        Assert.Equal(before, (await _client.GetFromJsonAsync<JsonElement[]>("/api/runs?limit=1000"))!.Length);
    }
}
