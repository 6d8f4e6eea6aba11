using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Dashboard.Web.Tests;

/// <summary>The compare API and the exports on runs the app really trained.</summary>
public sealed class CompareTrainedRunsTests(DashboardFactory factory) : IClassFixture<DashboardFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    // 160 training samples in batches of 50: steps of 50, 50, 50 and 10 samples, 4 a epoch, 12 in all.
    private const string Sweep = """
        { "name": "cmp", "dataset": { "name": "hyperspheres", "n": 200, "p": 8, "d": 2 }, "model": { "name": "mlp", "layer_size": [8] },
          "max_epochs": 3, "batch_size": 50, "sweep": { "parameters": { "seed": [0, 1] } } }
        """;

    private static double[] Doubles(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetDouble())];

    [Fact]
    public async Task Trained_runs_compare_by_updates_and_epochs_and_export_every_point()
    {
        var response = await _client.PostSpecAsync(Sweep);
        var ids = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_ids").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        Assert.Equal(2, ids.Length);
        foreach (var id in ids) Assert.Equal("completed", (await _client.WaitFinishedAsync(id)).GetProperty("status").GetString());
        var runs = string.Join(",", ids);

        var byUpdates = await _client.GetFromJsonAsync<JsonElement>($"/api/compare?runs={runs}&key=loss&x=updates");
        foreach (var run in byUpdates.GetProperty("runs").EnumerateArray())
            Assert.Equal(Enumerable.Range(1, 12).Select(s => (double)s), Doubles(run.GetProperty("x")));

        var bySamples = await _client.GetFromJsonAsync<JsonElement>($"/api/compare?runs={runs}&key=loss&x=samples");
        Assert.Equal([50, 100, 150, 160, 210, 260, 310, 320, 370, 420, 470, 480], Doubles(bySamples.GetProperty("runs")[0].GetProperty("x")));

        var byEpoch = await _client.GetFromJsonAsync<JsonElement>($"/api/compare?runs={runs}&key=loss&x=epoch");
        Assert.Equal(Enumerable.Range(1, 12).Select(s => s / 4.0), Doubles(byEpoch.GetProperty("runs")[0].GetProperty("x")));
        // Validation loss is logged at the end of each epoch: whole epochs.
        var val = await _client.GetFromJsonAsync<JsonElement>($"/api/compare?runs={runs}&key=val_loss&x=epoch");
        Assert.Equal([1, 2, 3], Doubles(val.GetProperty("runs")[1].GetProperty("x")));

        // One band per seed value, each a single run.
        var grouped = await _client.GetFromJsonAsync<JsonElement>($"/api/compare?runs={runs}&key=loss&x=updates&group=seed");
        Assert.Equal(["seed = 0", "seed = 1"], grouped.GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("label").GetString()));

        // The CSV holds exactly what the metrics API serves at full resolution, key by key.
        var csv = await _client.GetStringAsync($"/api/runs/export.csv?ids={runs}");
        var rows = csv.TrimEnd('\n').Split('\n').Skip(1).Select(l => l.Split(',')).ToList();
        foreach (var id in ids)
        {
            var name = (await _client.RunAsync(id)).GetProperty("name").GetString();
            var keys = rows.Where(r => r[0] == name).Select(r => r[1]).Distinct().ToList();
            Assert.Contains("loss", keys);
            Assert.Contains("val_accuracy", keys);
            Assert.Equal(keys.Order(StringComparer.Ordinal), keys);
            foreach (var key in keys)
            {
                var stored = (await _client.GetFromJsonAsync<JsonElement>($"/api/runs/{id}/metrics?keys={key}")).GetProperty(key).EnumerateArray().ToArray();
                var exported = rows.Where(r => r[0] == name && r[1] == key).ToList();
                Assert.Equal(stored!.Select(p => p.GetProperty("step").GetInt64()), exported.Select(r => long.Parse(r[2], CultureInfo.InvariantCulture)));
                Assert.Equal(stored!.Select(p => p.GetProperty("value").GetDouble()), exported.Select(r => double.Parse(r[3], CultureInfo.InvariantCulture)));
                Assert.Equal(stored!.Select(p => p.GetProperty("time").GetDateTime()),
                    exported.Select(r => DateTime.Parse(r[4], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal)));
            }
        }
    }
}
