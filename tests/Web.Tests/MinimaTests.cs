using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Dashboard.Web.Tests;

/// <summary>
/// The distance study through the API on runs the test server trains: a run's captured minima named in another run's
/// minima_from (project/NNNNN@epoch-N), what the second run records it loaded, and a minimum that does not exist.
/// </summary>
public sealed class MinimaTests(DashboardFactory factory) : IClassFixture<DashboardFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    private static string Spec(string project, string loss) => $$"""
        { "name": "{{project}}", "dataset": { "name": "hyperspheres", "n": 300, "p": 8, "d": 2 }, "model": { "name": "mlp", "layer_size": [8] },
          "loss_func": {{loss}}, "batch_size": 40, "max_epochs": 2 }
        """;

    private async Task<long> TrainAsync(string project, string loss)
    {
        var id = await _client.LaunchAsync(Spec(project, loss));
        var run = await _client.WaitFinishedAsync(id);
        Assert.Equal("completed", run.GetProperty("status").GetString());
        return id;
    }

    private async Task<JsonElement> MinimaAsync(long id) => await _client.GetFromJsonAsync<JsonElement>($"/api/runs/{id}/minima");

    [Fact]
    public async Task A_run_keeps_away_from_a_minimum_another_run_captured_and_its_api_says_which_it_loaded()
    {
        var first = await TrainAsync("minapi", """{ "capture_epochs": [1, 2] }""");
        var captured = (await MinimaAsync(first)).GetProperty("captured");
        Assert.Equal([1, 2], captured.EnumerateArray().Select(c => c.GetProperty("epoch").GetInt32()));
        Assert.Equal(["minapi/00001@epoch-1", "minapi/00001@epoch-2"], captured.EnumerateArray().Select(c => c.GetProperty("reference").GetString()));
        Assert.Equal("minimum-epoch-0001.f32", captured[0].GetProperty("file").GetString());
        Assert.Equal(0, (await MinimaAsync(first)).GetProperty("loaded").GetArrayLength());

        var second = await TrainAsync("minapi", """{ "distance": true, "factor": 0.1, "minima_from": ["minapi/00001@epoch-1"] }""");
        var loaded = (await MinimaAsync(second)).GetProperty("loaded");
        Assert.Equal(1, loaded.GetArrayLength());
        Assert.Equal("minapi/00001@epoch-1", loaded[0].GetProperty("reference").GetString());
        Assert.Equal("minapi/00001", loaded[0].GetProperty("source_run").GetString());
        Assert.Equal(1, loaded[0].GetProperty("epoch").GetInt32());
        var source = Path.Combine(factory.DataDir, "runs", first.ToString(), "checkpoints", "minimum-epoch-0001.f32");
        Assert.Equal(source, loaded[0].GetProperty("file").GetString());
        // The weights it kept away from are the first run's after epoch 1, not after its last.
        var kept = Path.Combine(factory.DataDir, "runs", second.ToString(), "checkpoints", loaded[0].GetProperty("stored_as").GetString()!);
        Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(kept));
        Assert.NotEqual(File.ReadAllBytes(source), File.ReadAllBytes(source.Replace("0001.f32", "0002.f32")));
    }

    [Fact]
    public async Task A_minimum_that_was_not_captured_is_refused_at_minima_from_naming_those_that_were_and_nothing_is_stored()
    {
        await TrainAsync("minmiss", """{ "capture_epochs": [1, 2] }""");
        var before = (await _client.GetFromJsonAsync<JsonElement[]>("/api/runs?limit=1000"))!.Length;

        async Task<string[]> Refused(string reference)
        {
            var response = await _client.PostSpecAsync(Spec("minmiss", $$"""{ "distance": true, "minima_from": ["{{reference}}"] }"""));
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, body);
            return [.. JsonDocument.Parse(body).RootElement.GetProperty("errors").GetProperty("loss_func.minima_from").EnumerateArray().Select(e => e.GetString()!)];
        }

        Assert.Equal(["minmiss/00001@epoch-3: minmiss/00001 has captured no minimum after epoch 3; it has minmiss/00001@epoch-1, minmiss/00001@epoch-2"],
            await Refused("minmiss/00001@epoch-3"));
        Assert.Equal(["ghost/00009@epoch-1: no run ghost/00009 exists"], await Refused("ghost/00009@epoch-1"));
        Assert.Equal(["'minmiss/00001@epoch-last': a captured minimum is named project/NNNNN@epoch-N (e.g. mnist/00003@epoch-3; a run page's Minima section lists them)"],
            await Refused("minmiss/00001@epoch-last"));
        Assert.Equal(before, (await _client.GetFromJsonAsync<JsonElement[]>("/api/runs?limit=1000"))!.Length);
    }
}
