using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Dashboard.Web.Tests;

/// <summary>The scaling analysis of a small width sweep the test server trains: points, seed groups, the fit and its CSV.</summary>
public sealed class ScalingApiTests(DashboardFactory factory) : IClassFixture<DashboardFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    [Fact]
    public async Task A_width_sweep_with_seeds_is_fitted_on_its_parameter_counts_and_exported_point_by_point()
    {
        var response = await _client.PostSpecAsync("""
            { "name": "width", "dataset": { "name": "hyperspheres", "n": 600, "p": 16, "d": 3, "classes": 4 },
              "model": { "name": "mlp", "layer_size": [8] }, "optimizer": { "name": "sgd_momentum_wdecay", "lr": 0.05 },
              "batch_size": 40, "max_epochs": 3,
              "sweep": { "method": "grid", "parameters": { "model.layer_size": [[2], [4], [8], [16], [32]], "seed": [0, 1, 2] } } }
            """);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var launched = await response.Content.ReadFromJsonAsync<JsonElement>();
        var experiment = launched.GetProperty("experiment_id").GetInt64();
        foreach (var id in launched.GetProperty("run_ids").EnumerateArray()) await _client.WaitFinishedAsync(id.GetInt64());

        var scaling = await _client.GetFromJsonAsync<JsonElement>($"/api/analysis/scaling?experiment={experiment}&x=N&law=power");

        var runs = scaling.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(15, runs.Count);
        foreach (var r in runs)
        {
            var run = await _client.RunAsync(r.GetProperty("id").GetInt64());
            Assert.Equal(run.GetProperty("parameter_count").GetInt64(), r.GetProperty("x").GetDouble());
            Assert.Equal(run.GetProperty("metrics").GetProperty("val_loss").GetProperty("last").GetDouble(), r.GetProperty("value").GetDouble());
            Assert.Equal(run.GetProperty("seed").GetInt64().ToString(), r.GetProperty("seed").GetString());
        }
        var groups = scaling.GetProperty("groups").EnumerateArray().ToList();
        Assert.Equal(5, groups.Count);
        foreach (var g in groups)
        {
            var at = runs.Where(r => r.GetProperty("x").GetDouble() == g.GetProperty("x").GetDouble()).Select(r => r.GetProperty("value").GetDouble()).ToList();
            Assert.Equal(3, at.Count);
            Assert.Equal(at.Average(), g.GetProperty("mean").GetDouble(), 12);
        }
        Assert.Equal(JsonValueKind.Null, scaling.GetProperty("error").ValueKind);
        var fit = scaling.GetProperty("fit");
        Assert.Equal("95% intervals: bootstrap over 3 seeds, 200 rounds", fit.GetProperty("bootstrap").GetString());
        double a = fit.GetProperty("a").GetProperty("value").GetDouble(), alpha = fit.GetProperty("alpha").GetProperty("value").GetDouble();
        Assert.InRange(fit.GetProperty("alpha").GetProperty("low").GetDouble(), double.MinValue, alpha);
        Assert.InRange(fit.GetProperty("alpha").GetProperty("high").GetDouble(), alpha, double.MaxValue);
        Assert.StartsWith("L = ", fit.GetProperty("formula").GetString());
        // Each run's fitted value is the law at its x.
        foreach (var r in runs)
            Assert.Equal(a * Math.Pow(r.GetProperty("x").GetDouble(), -alpha), r.GetProperty("fitted").GetDouble(), 9);

        // The frontier: more compute, a lower loss, ending at the lowest val_loss any run reached.
        var frontier = scaling.GetProperty("frontier").EnumerateArray().Select(p => (F: p.GetProperty("flops").GetDouble(), V: p.GetProperty("value").GetDouble())).ToList();
        Assert.True(frontier.Count >= 2);
        Assert.True(frontier.Zip(frontier.Skip(1)).All(p => p.Second.F > p.First.F && p.Second.V < p.First.V));
        double lowest = double.MaxValue;
        foreach (var r in runs) lowest = Math.Min(lowest, (await _client.RunAsync(r.GetProperty("id").GetInt64())).GetProperty("metrics").GetProperty("val_loss").GetProperty("min").GetDouble());
        Assert.Equal(lowest, frontier[^1].V);

        var csv = (await _client.GetStringAsync($"/api/analysis/scaling.csv?experiment={experiment}&x=N&law=power")).TrimEnd('\n').Split('\n');
        Assert.Equal("run_id,run,x,n,d,seed,value,fitted,residual_log", csv[0]);
        Assert.Equal(16, csv.Length);
        var first = csv[1].Split(',');
        Assert.Equal(runs[0].GetProperty("name").GetString(), first[1]);
        Assert.Equal(Math.Log(runs[0].GetProperty("value").GetDouble() / runs[0].GetProperty("fitted").GetDouble()), double.Parse(first[8], System.Globalization.CultureInfo.InvariantCulture), 9);
        Assert.Equal("480", first[4]);   // D: 600 points less the validation fifth
    }

    [Fact]
    public async Task A_bad_request_is_refused_at_its_field_and_a_fit_that_cannot_be_made_says_why()
    {
        var bad = await _client.GetAsync("/api/analysis/scaling?runs=1&law=cubic");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("one of power, offset, joint", await bad.Content.ReadAsStringAsync());
        var none = await _client.GetAsync("/api/analysis/scaling");
        Assert.Contains("(or experiment=ID)", await none.Content.ReadAsStringAsync());

        var ids = new List<long>();
        foreach (var width in new[] { 4, 8 })
            ids.Add(await _client.LaunchAsync($$"""
                { "name": "few", "dataset": { "name": "hyperspheres", "n": 200, "p": 8, "d": 2 }, "model": { "name": "mlp", "layer_size": [{{width}}] }, "max_epochs": 1 }
                """));
        foreach (var id in ids) await _client.WaitFinishedAsync(id);
        var scaling = await _client.GetFromJsonAsync<JsonElement>($"/api/analysis/scaling?runs={string.Join(",", ids)}");
        Assert.Equal("the fit needs at least 4 distinct values of N; these runs have 2", scaling.GetProperty("error").GetString());
        Assert.Equal(2, scaling.GetProperty("runs").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, scaling.GetProperty("fit").ValueKind);
    }
}
