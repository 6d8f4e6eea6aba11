using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dashboard.Data;

namespace Dashboard.Web.Tests;

public sealed class CompareApiTests(DashboardFactory factory) : IClassFixture<DashboardFactory>
{
    private readonly HttpClient _client = factory.CreateClient();
    private static readonly DateTime Start = new(2026, 3, 1, 12, 0, 0, DateTimeKind.Utc);

    private async Task<JsonElement> CompareAsync(string query)
    {
        var response = await _client.GetAsync($"/api/compare?{query}");
        Assert.True(response.IsSuccessStatusCode, $"{query}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static double[] Doubles(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetDouble())];

    /// <summary>Loss at steps 1..10; updates (3 per step) only every second step; epochs of 4 steps.</summary>
    private async Task<Run> RunWithCountersAsync(string project, long? divergedAt = null)
    {
        var run = await factory.AddRunAsync(project, status: divergedAt is null ? RunStatus.Completed : RunStatus.Diverged, divergedAt: divergedAt);
        var points = new List<(string, long, double)>();
        for (long s = 1; s <= 10; s++) points.Add(("loss", s, 1.0 / s));
        for (long s = 2; s <= 10; s += 2) points.Add(("updates", s, 3 * s));
        points.Add(("epoch", 4, 1));
        points.Add(("epoch", 8, 2));
        await factory.WriteAsync(run.Id, Start, [.. points]);
        return run;
    }

    [Fact]
    public async Task Each_point_gets_its_x_on_the_chosen_axis()
    {
        var run = await RunWithCountersAsync("axes");

        var byStep = (await CompareAsync($"runs={run.Id}&key=loss")).GetProperty("runs")[0];
        Assert.Equal(run.DisplayName, byStep.GetProperty("name").GetString());
        Assert.Equal(Enumerable.Range(1, 10).Select(s => (double)s), Doubles(byStep.GetProperty("x")));
        Assert.Equal(Enumerable.Range(1, 10).Select(s => 1.0 / s), Doubles(byStep.GetProperty("y")));

        // Odd steps have no updates point: read between the even ones (and from 0 at step 0 for step 1).
        var byUpdates = await CompareAsync($"runs={run.Id}&key=loss&x=updates");
        Assert.Equal("updates", byUpdates.GetProperty("x").GetString());
        Assert.Equal(Enumerable.Range(1, 10).Select(s => 3.0 * s), Doubles(byUpdates.GetProperty("runs")[0].GetProperty("x")));

        // Epochs end at steps 4 and 8; steps 9 and 10 go on at the second epoch's length.
        var byEpoch = (await CompareAsync($"runs={run.Id}&key=loss&x=epoch")).GetProperty("runs")[0];
        Assert.Equal([0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.25, 2.5], Doubles(byEpoch.GetProperty("x")));

        // Points are stored a second apart from step 1 on.
        var relative = (await CompareAsync($"runs={run.Id}&key=loss&x=relative")).GetProperty("runs")[0];
        Assert.Equal(Enumerable.Range(0, 10).Select(s => (double)s), Doubles(relative.GetProperty("x")));
        var wall = (await CompareAsync($"runs={run.Id}&key=loss&x=wall")).GetProperty("runs")[0];
        Assert.Equal("2026-03-01T12:00:01.0000000Z", wall.GetProperty("x")[0].GetString());
        Assert.Equal("2026-03-01T12:00:10.0000000Z", wall.GetProperty("x")[9].GetString());
    }

    [Fact]
    public async Task Points_an_axis_cannot_place_are_left_out_and_counted()
    {
        // Still in its first epoch: no epoch has ended, so no epoch length is known yet.
        var run = await factory.AddRunAsync("first-epoch", status: RunStatus.Running);
        await factory.WriteAsync(run.Id, Start, ("loss", 1, 3), ("loss", 2, 2), ("loss", 3, 1));
        var series = (await CompareAsync($"runs={run.Id}&key=loss&x=epoch")).GetProperty("runs")[0];
        Assert.Equal(3, series.GetProperty("stored_points").GetInt32());
        Assert.Equal(0, series.GetProperty("x").GetArrayLength());
        Assert.Equal(0, series.GetProperty("y").GetArrayLength());
        Assert.Equal(3, (await CompareAsync($"runs={run.Id}&key=loss&x=step")).GetProperty("runs")[0].GetProperty("x").GetArrayLength());
    }

    [Fact]
    public async Task A_long_series_comes_back_min_max_downsampled_to_the_points_asked_for()
    {
        var run = await factory.AddRunAsync("long");
        var points = Enumerable.Range(1, 5000).Select(s => ("loss", (long)s, s == 2500 ? 99.0 : Math.Sin(s / 100.0))).ToArray();
        await factory.WriteAsync(run.Id, Start, points);

        var series = (await CompareAsync($"runs={run.Id}&key=loss&points=200")).GetProperty("runs")[0];
        var x = Doubles(series.GetProperty("x"));
        Assert.InRange(x.Length, 150, 200);
        Assert.Equal(1, x[0]);
        Assert.Equal(5000, x[^1]);
        Assert.Contains(99.0, Doubles(series.GetProperty("y")));
        Assert.Equal(5000, Doubles((await CompareAsync($"runs={run.Id}&key=loss&points=100000")).GetProperty("runs")[0].GetProperty("x")).Length);
    }

    [Fact]
    public async Task A_diverged_run_is_marked_where_it_diverged_on_the_chosen_axis()
    {
        var run = await RunWithCountersAsync("diverged", divergedAt: 12);
        var series = (await CompareAsync($"runs={run.Id}&key=loss&x=updates")).GetProperty("runs")[0];
        Assert.Equal("diverged", series.GetProperty("status").GetString());
        Assert.Equal(12, series.GetProperty("diverged_at_step").GetInt64());
        Assert.Equal(36, series.GetProperty("diverged_x").GetDouble());   // updates go on at 3 a step
        Assert.Equal(0.1, series.GetProperty("diverged_y").GetDouble());  // the last loss stored before it

        var healthy = await RunWithCountersAsync("healthy");
        Assert.Equal(JsonValueKind.Null, (await CompareAsync($"runs={healthy.Id}&key=loss")).GetProperty("runs")[0].GetProperty("diverged_x").ValueKind);
    }

    [Fact]
    public async Task Runs_grouped_by_two_parameters_average_over_seeds_count_their_runs_and_the_mean_never_jumps()
    {
        var ids = new List<long>();
        // width x dataset.size, two seeds each; one seed of width 8 x 100 stopped at step 10 of 20 (its loss 10 would
        // pull a mean over the runs still there from 10.5 to 11 where it ends).
        foreach (var (width, size, seed, loss, steps) in new[] { (8, 100, 0, 10.0, 10), (8, 100, 1, 11.0, 20), (8, 200, 0, 4.0, 20), (8, 200, 1, 6.0, 20),
                     (32, 100, 0, 1.0, 20), (32, 100, 1, 3.0, 20) })
        {
            var run = await factory.AddRunAsync("grid", $$"""{"model.width":{{width}},"dataset.size":{{size}},"seed":{{seed}}}""");
            await factory.WriteAsync(run.Id, Start, [.. Enumerable.Range(1, steps).Select(s => ("loss", (long)s, loss))]);
            ids.Add(run.Id);
        }

        var body = await CompareAsync($"runs={string.Join(",", ids)}&key=loss&group=model.width,dataset.size&points=20");
        var groups = body.GetProperty("groups").EnumerateArray().ToList();
        Assert.Equal(["model.width = 8 · dataset.size = 100", "model.width = 8 · dataset.size = 200", "model.width = 32 · dataset.size = 100"],
            groups.Select(g => g.GetProperty("label").GetString()));
        Assert.All(groups, g => Assert.Equal(2, g.GetProperty("runs").GetInt32()));
        Assert.All(Doubles(groups[0].GetProperty("mean")), m => Assert.Equal(10.5, m, 12));
        Assert.Equal(10, Doubles(groups[0].GetProperty("x"))[^1]);
        Assert.All(Doubles(groups[1].GetProperty("mean")), m => Assert.Equal(5, m, 12));
        Assert.Equal([8, 100], groups[0].GetProperty("value").EnumerateArray().Select(v => v.GetInt32()));
    }

    [Fact]
    public async Task Runs_grouped_by_a_parameter_give_one_mean_and_std_band_per_value()
    {
        var ids = new List<long>();
        // Three seeds at lr 0.1 whose losses are 1, 2 and 3 throughout; one run at lr 0.01.
        foreach (var (seed, lr, loss) in new[] { (1, 0.1, 1.0), (2, 0.1, 2.0), (3, 0.1, 3.0), (1, 0.01, 5.0) })
        {
            var run = await factory.AddRunAsync("seeds", $$"""{"optimizer.lr":{{lr}},"seed":{{seed}}}""");
            await factory.WriteAsync(run.Id, Start, [.. Enumerable.Range(1, 20).Select(s => ("loss", (long)s, loss))]);
            ids.Add(run.Id);
        }

        var body = await CompareAsync($"runs={string.Join(",", ids)}&key=loss&group=optimizer.lr&points=10");
        var groups = body.GetProperty("groups").EnumerateArray().ToList();
        Assert.Equal(["optimizer.lr = 0.01", "optimizer.lr = 0.1"], groups.Select(g => g.GetProperty("label").GetString()));
        Assert.Equal([ids[3]], groups[0].GetProperty("run_ids").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal(ids[..3], groups[1].GetProperty("run_ids").EnumerateArray().Select(e => e.GetInt64()));

        var band = groups[1];
        var x = Doubles(band.GetProperty("x"));
        Assert.Equal(10, x.Length);
        Assert.Equal(1, x[0]);
        Assert.Equal(20, x[^1]);
        Assert.All(Doubles(band.GetProperty("mean")), m => Assert.Equal(2, m, 12));
        Assert.All(Doubles(band.GetProperty("std")), s => Assert.Equal(1, s, 12));
        Assert.All(band.GetProperty("n").EnumerateArray(), n => Assert.Equal(3, n.GetInt32()));
        Assert.All(Doubles(groups[0].GetProperty("std")), s => Assert.Equal(0, s));
        // The runs themselves still come back, for their divergence markers and the table.
        Assert.Equal(4, body.GetProperty("runs").GetArrayLength());
        Assert.Equal(2, body.GetProperty("runs")[1].GetProperty("params").GetProperty("seed").GetInt32());

        // A spec key that is no sweep parameter groups too: all four share the model.
        var byModel = await CompareAsync($"runs={string.Join(",", ids)}&key=loss&group=model.name");
        Assert.Equal("model.name = mlp", byModel.GetProperty("groups").EnumerateArray().Single().GetProperty("label").GetString());
    }

    [Fact]
    public async Task The_keys_are_the_runs_metrics_and_the_parameters_that_tell_them_apart()
    {
        var a = await factory.AddRunAsync("keys", """{"seed":1}""");
        var b = await factory.AddRunAsync("keys", """{"seed":2}""", spec: StoredRuns.Spec.Replace("\"mlp\"", "\"cnn\""));
        await factory.WriteAsync(a.Id, Start, ("loss", 1, 1), ("val_accuracy", 1, 0.5));
        await factory.WriteAsync(b.Id, Start, ("loss", 1, 1), ("lr", 1, 0.1));

        var keys = await _client.GetFromJsonAsync<JsonElement>($"/api/compare/keys?runs={a.Id},{b.Id}");
        Assert.Equal(["loss", "val_accuracy", "lr"], keys.GetProperty("metrics").EnumerateArray().Select(e => e.GetString()));
        // The sweep's key first, then the spec's differing ones; what both share is left out.
        Assert.Equal(["seed", "model.name"], keys.GetProperty("params").EnumerateArray().Select(e => e.GetString()));
    }

    [Theory]
    [InlineData("key=loss", "runs")]
    [InlineData("runs=1,x&key=loss", "runs")]
    [InlineData("runs=-3&key=loss", "runs")]
    [InlineData("runs=1", "key")]
    [InlineData("runs=1&key=loss&x=minutes", "x")]
    [InlineData("runs=1&key=loss&points=3", "points")]
    [InlineData("runs=1&key=loss&points=100001", "points")]
    [InlineData("runs=1&key=loss&points=many", "points")]
    public async Task A_bad_query_is_a_400_naming_the_field(string query, string field)
    {
        var response = await _client.GetAsync($"/api/compare?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Too_many_runs_are_a_400_and_unknown_ones_a_404_naming_them()
    {
        var many = string.Join(",", Enumerable.Range(1, 201));
        var response = await _client.GetAsync($"/api/compare?runs={many}&key=loss");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("at most 200", await response.Content.ReadAsStringAsync());

        var run = await factory.AddRunAsync("known");
        response = await _client.GetAsync($"/api/compare?runs={run.Id},987654&key=loss");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("987654", await response.Content.ReadAsStringAsync());
    }
}
