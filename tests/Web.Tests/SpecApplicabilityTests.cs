using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Dashboard.Data;
using Dashboard.Training.Specs;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Web.Tests;

/// <summary>
/// Runs keep only the fields of their own kinds: a spec that carries a cnn's width (as the notebooks' config dicts do)
/// gives an MLP run without it, so filters, the run page and the parameter diff never meet another kind's value.
/// </summary>
public sealed partial class SpecApplicabilityTests(SpecApplicabilityTests.Launched launched) : IClassFixture<SpecApplicabilityTests.Launched>
{
    /// <summary>A sweep of an mlp and a cnn from one spec with width 8, and two MLPs whose specs name widths 8 and 16, trained.</summary>
    public sealed class Launched : IAsyncLifetime
    {
        public DashboardFactory App { get; } = new();
        public HttpClient Client { get; private set; } = null!;
        public long SweepId { get; private set; }
        public long Mlp { get; private set; }
        public long Cnn { get; private set; }
        public long[] Pair { get; private set; } = [];

        public async Task InitializeAsync()
        {
            Client = App.CreateClient();
            var response = await Client.PostSpecAsync("""
                {"name":"kinds","dataset":{"name":"fashion_mnist","size":100},"model":{"name":"mlp","layer_size":[8],"width":8},
                 "batch_size":50,"max_epochs":1,"sweep":{"parameters":{"model.name":["mlp","cnn"]}}}
                """);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            SweepId = body.GetProperty("experiment_id").GetInt64();
            (Mlp, Cnn) = (body.GetProperty("run_ids")[0].GetInt64(), body.GetProperty("run_ids")[1].GetInt64());
            Pair = [await Client.LaunchAsync(PairSpec(8, 0.01)), await Client.LaunchAsync(PairSpec(16, 0.1))];
            foreach (var id in new[] { Mlp, Cnn }.Concat(Pair)) await Client.WaitFinishedAsync(id);
        }

        private static string PairSpec(int width, double lr) => $$"""
            {"name":"pair","dataset":{"name":"hyperspheres","n":200,"p":8,"d":2},"model":{"name":"mlp","layer_size":[8],"width":{{width}}},
             "optimizer":{"name":"sgd","lr":{{lr}}},"max_epochs":1}
            """;

        public Task DisposeAsync()
        {
            App.Dispose();
            return Task.CompletedTask;
        }
    }

    private HttpClient Client => launched.Client;

    [Fact]
    public async Task A_width_filter_matches_the_cnn_and_no_mlp()
    {
        var filter = "filter=" + Uri.EscapeDataString("model.width>=8");
        var runs = await Client.GetFromJsonAsync<JsonElement[]>($"/api/runs?{filter}");
        Assert.Equal([launched.Cnn], runs!.Select(r => r.GetProperty("id").GetInt64()));

        var page = await Client.GetStringAsync($"/?{filter}");
        Assert.Equal([launched.Cnn.ToString()], RunRows().Matches(page).Select(m => m.Groups[1].Value));
    }

    [Fact]
    public async Task An_mlp_runs_spec_in_the_api_and_on_its_page_has_no_cnn_fields()
    {
        var run = await Client.RunAsync(launched.Mlp);
        Assert.Equal("completed", run.GetProperty("status").GetString());
        var model = run.GetProperty("spec").GetProperty("model");
        Assert.Equal(["name", "layer_size", "act_funcs", "skip_steps"], model.EnumerateObject().Select(p => p.Name));
        Assert.False(run.GetProperty("spec").GetProperty("dataset").TryGetProperty("n", out _), "hyperspheres' n on a fashion_mnist run");

        var page = await Client.GetStringAsync($"/runs/{launched.Mlp}");
        var shown = JsonNode.Parse(WebUtility.HtmlDecode(RunSpec().Match(page).Groups[1].Value))!;
        Assert.Equal("mlp", shown["model"]!["name"]!.GetValue<string>());
        Assert.Null(shown["model"]!["width"]);
        Assert.Null(shown["model"]!["stem"]);

        // The cnn of the same sweep has the width its spec gave, and no layer sizes.
        var cnn = (await Client.RunAsync(launched.Cnn)).GetProperty("spec").GetProperty("model");
        Assert.Equal(8, cnn.GetProperty("width").GetInt32());
        Assert.False(cnn.TryGetProperty("layer_size", out _));
    }

    [Fact]
    public async Task The_parameter_diff_of_two_mlps_lists_what_tells_them_apart_and_no_cnn_width()
    {
        var keys = await Client.GetFromJsonAsync<JsonElement>($"/api/compare/keys?runs={string.Join(",", launched.Pair)}");
        Assert.Equal(["optimizer.lr"], keys.GetProperty("params").EnumerateArray().Select(e => e.GetString()));

        var page = await Client.GetStringAsync($"/compare?runs={string.Join(",", launched.Pair)}");
        Assert.Contains("optimizer.lr", page);
        Assert.DoesNotContain("model.width", page);
    }

    [Fact]
    public async Task A_database_holding_full_specs_is_pruned_at_start()
    {
        using var app = new DashboardFactory();
        // The database as an earlier version left it, before the app starts on it: every kind's fields stored.
        var storage = new StorageOptions { DataDir = app.DataDir };
        await DatabaseSetup.MigrateAsync(storage);
        var spec = SpecJson.Parse("""{"name":"old","dataset":{"name":"hyperspheres","n":200,"p":8,"d":2},"model":{"name":"mlp","layer_size":[8]},"max_epochs":1}""");
        long id;
        await using (var db = DataServices.Open(storage))
        {
            var run = new Run { Project = "old", Number = 1, Spec = SpecJson.SerializeAll(spec), Params = """{"model.width":32}""", Status = RunStatus.Completed, MaxEpochs = 1 };
            db.Experiments.Add(new Experiment { Name = "old", Spec = SpecJson.SerializeAll(spec), Runs = [run] });
            await db.SaveChangesAsync();
            id = run.Id;
        }
        Assert.Contains("\"width\":32", (await ReadAsync(storage, id)).Spec);

        var client = app.CreateClient();
        var shown = await client.RunAsync(id);
        Assert.False(shown.GetProperty("spec").GetProperty("model").TryGetProperty("width", out _));
        var stored = await ReadAsync(storage, id);
        Assert.Equal(SpecJson.Serialize(spec), stored.Spec);
        Assert.Equal("{}", stored.Params);
    }

    [Fact]
    public async Task A_sweep_over_a_key_that_applies_to_none_of_its_runs_is_refused_naming_it()
    {
        var response = await Client.PostSpecAsync("""
            {"name":"widths","dataset":{"name":"hyperspheres","n":200,"p":8,"d":2},"model":{"name":"mlp","layer_size":[8]},
             "sweep":{"parameters":{"model.width":[8,16]}}}
            """);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("applies to none of the runs: model.width is used by cnn only",
            problem.GetProperty("errors").GetProperty("sweep.parameters.model.width")[0].GetString());
        Assert.Empty((await Client.GetFromJsonAsync<JsonElement[]>("/api/runs?project=widths"))!);
    }

    [Fact]
    public void The_form_offers_a_field_only_with_the_kinds_a_run_keeps_it_for()
    {
        // A field the form showed for a kind the run does not keep would be typed in and silently not stored.
        foreach (var field in Dashboard.Web.Components.Pages.Experiments.SpecFields.All)
        {
            if (SpecApplicability.KindsOf(field.Key) is not { } kinds) continue;
            Assert.Equal(field.Key.Split('.')[0] + ".name", field.WhenKey);
            Assert.All(field.WhenValues!, kind => Assert.Contains(kind, kinds));
        }
    }

    private static async Task<Run> ReadAsync(StorageOptions storage, long id)
    {
        await using var db = DataServices.Open(storage);
        return await db.Runs.AsNoTracking().SingleAsync(r => r.Id == id);
    }

    [GeneratedRegex("<tr data-run-id=\"(\\d+)\"")]
    private static partial Regex RunRows();

    [GeneratedRegex("id=\"run-spec\">(.*?)</pre>", RegexOptions.Singleline)]
    private static partial Regex RunSpec();
}
