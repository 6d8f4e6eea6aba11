using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Dashboard.Web.Tests;

/// <summary>A real grid sweep, trained, then looked at through the runs table's API and pages: filters, sorting, tags.</summary>
public sealed class RunTableTests(RunTableTests.SweepFixture sweep) : IClassFixture<RunTableTests.SweepFixture>
{
    /// <summary>One app with one trained 2 x 3 sweep (learning rate x seed) for all the tests of this class.</summary>
    public sealed class SweepFixture : IAsyncLifetime
    {
        public DashboardFactory App { get; } = new();
        public HttpClient Client { get; private set; } = null!;
        public long ExperimentId { get; private set; }
        public long[] RunIds { get; private set; } = [];

        public const string Spec = """
            { "name": "grid",
              "dataset": { "name": "hyperspheres", "n": 300, "p": 8, "d": 2, "classes": 3 },
              "model": { "name": "mlp", "layer_size": [16] }, "batch_size": 30, "max_epochs": 3,
              "checkpoint": { "every": 1 },
              "sweep": { "method": "grid", "parameters": { "optimizer.lr": [0.01, 0.3], "seed": [0, 1, 2] } } }
            """;

        public async Task InitializeAsync()
        {
            Client = App.CreateClient();
            var response = await Client.PostSpecAsync(Spec);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            ExperimentId = body.GetProperty("experiment_id").GetInt64();
            RunIds = body.GetProperty("run_ids").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            foreach (var id in RunIds) await Client.WaitFinishedAsync(id);
        }

        public Task DisposeAsync()
        {
            App.Dispose();
            return Task.CompletedTask;
        }
    }

    private HttpClient Client => sweep.Client;

    /// <summary>The sweep's runs that match (a re-run test adds runs of its own experiment).</summary>
    private async Task<JsonElement[]> Runs(string query) =>
        (await Client.GetFromJsonAsync<JsonElement[]>($"/api/runs?experiment={sweep.ExperimentId}&" + query))!;

    private static double Lr(JsonElement run) => run.GetProperty("params").GetProperty("optimizer.lr").GetDouble();

    [Fact]
    public async Task The_sweep_made_six_runs_with_their_parameters_and_its_page_shows_them_done()
    {
        Assert.Equal(6, sweep.RunIds.Length);
        var experiment = await Client.GetFromJsonAsync<JsonElement>($"/api/experiments/{sweep.ExperimentId}");
        Assert.Equal(6, experiment.GetProperty("runs").GetInt32());
        Assert.Equal(6, experiment.GetProperty("done").GetInt32());
        Assert.Equal(6, experiment.GetProperty("statuses").GetProperty("completed").GetInt32());

        var runs = await Runs("sort=name&order=asc");
        Assert.Equal(["grid/00001", "grid/00002", "grid/00003", "grid/00004", "grid/00005", "grid/00006"], runs.Select(r => r.GetProperty("name").GetString()));
        Assert.Equal([0.01, 0.01, 0.01, 0.3, 0.3, 0.3], runs.Select(Lr));
        Assert.Equal([0, 1, 2, 0, 1, 2], runs.Select(r => r.GetProperty("spec").GetProperty("seed").GetInt32()));
        Assert.All(runs, r => Assert.Equal(JsonValueKind.Undefined, r.GetProperty("spec").TryGetProperty("sweep", out var s) ? s.ValueKind : JsonValueKind.Undefined));

        var page = await Client.GetStringAsync($"/experiments/{sweep.ExperimentId}");
        Assert.Contains("<span id=\"sweep-done\">6</span> of 6 done", page);
        Assert.Equal(6, System.Text.RegularExpressions.Regex.Matches(page, "<tr data-run-id=").Count);
    }

    [Fact]
    public async Task Filters_by_parameter_status_and_metric_keep_only_the_matching_runs()
    {
        var fast = await Runs("filter=" + Uri.EscapeDataString("optimizer.lr=0.3"));
        Assert.Equal(3, fast.Length);
        Assert.All(fast, r => Assert.Equal(0.3, Lr(r)));

        var two = await Runs("filter=" + Uri.EscapeDataString("seed>=1; optimizer.lr<0.1"));
        Assert.Equal([0.01, 0.01], two.Select(Lr));
        Assert.Equal([2, 1], two.Select(r => r.GetProperty("spec").GetProperty("seed").GetInt32()));

        Assert.Equal(6, (await Runs("status=completed")).Length);
        Assert.Equal(6, (await Runs("project=grid")).Length);
        Assert.Empty(await Runs("project=gri"));
        Assert.Empty(await Runs("status=running"));

        // A metric filter against the stored summaries: the threshold is the median of the runs' best accuracies.
        var all = await Runs("limit=100");
        var best = all.Select(r => r.GetProperty("metrics").GetProperty("val_accuracy").GetProperty("max").GetDouble()).Order().ToArray();
        var threshold = best[2];
        var good = await Runs("filter=" + Uri.EscapeDataString($"val_accuracy.max>={threshold.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}"));
        Assert.Equal(best.Count(b => b >= threshold), good.Length);
        Assert.All(good, r => Assert.True(r.GetProperty("metrics").GetProperty("val_accuracy").GetProperty("max").GetDouble() >= threshold));
    }

    [Theory]
    [InlineData("val_loss.min", "asc", "val_loss", "min")]
    [InlineData("val_accuracy.max", "desc", "val_accuracy", "max")]
    [InlineData("loss", "desc", "loss", "last")]
    public async Task Sorting_by_a_metric_orders_the_runs_by_it(string sort, string order, string key, string stat)
    {
        var runs = await Runs($"sort={sort}&order={order}");
        var values = runs.Select(r => r.GetProperty("metrics").GetProperty(key).GetProperty(stat).GetDouble()).ToArray();
        Assert.Equal(6, values.Length);
        Assert.Equal(order == "asc" ? values.Order() : values.OrderDescending(), values);
        Assert.NotEqual(values[0], values[^1]);
    }

    [Fact]
    public async Task Paging_reports_the_total_and_returns_each_run_once()
    {
        var first = await Client.GetAsync($"/api/runs?experiment={sweep.ExperimentId}&limit=4&sort=name&order=asc");
        Assert.Equal("6", first.Headers.GetValues("X-Total-Count").Single());
        var page1 = (await first.Content.ReadFromJsonAsync<JsonElement[]>())!;
        var page2 = await Runs("limit=4&offset=4&sort=name&order=asc");
        Assert.Equal(4, page1.Length);
        Assert.Equal(2, page2.Length);
        Assert.Equal(sweep.RunIds.Order(), page1.Concat(page2).Select(r => r.GetProperty("id").GetInt64()).Order());
    }

    [Fact]
    public async Task A_filter_on_a_key_no_run_has_is_refused_naming_the_key_in_the_api_and_on_the_page()
    {
        var response = await Client.GetAsync($"/api/runs?experiment={sweep.ExperimentId}&filter=" + Uri.EscapeDataString("val_acuracy.max>0.8"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("'val_acuracy.max'", problem.GetProperty("errors").GetProperty("filter")[0].GetString());

        var page = await Client.GetStringAsync("/?filter=" + Uri.EscapeDataString("val_acuracy.max>0.8"));
        Assert.Contains("no run has &#x27;val_acuracy.max&#x27;", page);
        Assert.DoesNotContain("No runs match", page);
    }

    [Fact]
    public async Task The_model_size_is_a_field_of_each_run_and_sorts_and_filters()
    {
        // An MLP 8 -> 16 -> 3: 8*16+16 + 16*3+3 parameters; a multiply-add is 2 FLOPs.
        var runs = await Runs("sort=parameter_count");
        Assert.All(runs, r => Assert.Equal(8 * 16 + 16 + 16 * 3 + 3, r.GetProperty("parameter_count").GetInt64()));
        Assert.All(runs, r => Assert.True(r.GetProperty("flops_per_sample").GetInt64() >= 2 * (8 * 16 + 16 * 3)));
        Assert.Equal(6, (await Runs("filter=" + Uri.EscapeDataString("parameter_count<1000"))).Length);
        Assert.Empty(await Runs("filter=" + Uri.EscapeDataString("parameter_count>1000")));
    }

    [Theory]
    [InlineData("filter=lr", "filter")]
    [InlineData("sort=no.such.key", "sort")]
    [InlineData("status=done", "status")]
    [InlineData("limit=0", "limit")]
    [InlineData("order=up", "order")]
    public async Task A_bad_query_is_a_400_naming_the_parameter(string query, string field)
    {
        var response = await Client.GetAsync("/api/runs?" + query);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Tags_and_notes_are_saved_filtered_on_and_refused_when_malformed()
    {
        var id = sweep.RunIds[4];
        var patched = await Client.PatchAsync($"/api/runs/{id}", JsonContent.Create(new { tags = new[] { "baseline", "check me" }, notes = "lr 0.3 seed 1" }));
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var tagged = await Runs("tag=baseline");
        Assert.Equal(id, tagged.Single().GetProperty("id").GetInt64());
        Assert.Equal(["baseline", "check me"], tagged[0].GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Single(await Runs("q=seed%201"));
        // A tag matches whole: "base" is not "baseline".
        Assert.Empty(await Runs("tag=base"));

        var bad = await Client.PatchAsync($"/api/runs/{id}", JsonContent.Create(new { tags = new[] { "a,b" } }));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(["baseline", "check me"], (await Client.RunAsync(id)).GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
    }

    [Fact]
    public async Task The_runs_page_filters_and_sorts_from_its_query_string()
    {
        var page = await Client.GetStringAsync("/?filter=" + Uri.EscapeDataString("optimizer.lr=0.01") + "&sort=seed&order=asc");
        var ids = System.Text.RegularExpressions.Regex.Matches(page, "<tr data-run-id=\"(\\d+)\"").Select(m => long.Parse(m.Groups[1].Value)).ToArray();
        Assert.Equal(sweep.RunIds[..3], ids);
        Assert.Contains("3 runs", page);
        var bad = await Client.GetStringAsync("/?filter=nonsense");
        Assert.Contains("query-error", bad);
    }

    [Fact]
    public async Task Checkpoints_are_listed_and_downloaded_and_nothing_outside_the_run_folder_is()
    {
        var id = sweep.RunIds[0];
        var files = (await Client.GetFromJsonAsync<JsonElement[]>($"/api/runs/{id}/checkpoints"))!;
        var names = files.Select(f => f.GetProperty("name").GetString()!).ToArray();
        Assert.Contains("epoch-0003.pt", names);
        var pt = await Client.GetAsync($"/api/runs/{id}/checkpoints/epoch-0003.pt");
        Assert.Equal(HttpStatusCode.OK, pt.StatusCode);
        Assert.Equal(files.Single(f => f.GetProperty("name").GetString() == "epoch-0003.pt").GetProperty("size").GetInt64(), (await pt.Content.ReadAsByteArrayAsync()).Length);

        foreach (var hostile in new[] { "..%2F..%2Fdashboard.db", "..%2Fcheckpoints%2Fepoch-0003.pt", "%2Fetc%2Fpasswd", "missing.json", "epoch-0003.pt.sh", "dashboard.db" })
        {
            var response = await Client.GetAsync($"/api/runs/{id}/checkpoints/{hostile}");
            Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"{hostile}: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    [Fact]
    public async Task A_rerun_is_a_new_run_with_the_same_spec_and_parameters()
    {
        var source = await Client.RunAsync(sweep.RunIds[5]);
        var response = await Client.PostAsync($"/api/runs/{sweep.RunIds[5]}/rerun", null);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_id").GetInt64();
        var copy = await Client.WaitFinishedAsync(id);
        Assert.StartsWith("grid/", copy.GetProperty("name").GetString());
        Assert.NotEqual(source.GetProperty("name").GetString(), copy.GetProperty("name").GetString());
        Assert.Equal(source.GetProperty("spec").ToString(), copy.GetProperty("spec").ToString());
        Assert.Equal(source.GetProperty("params").ToString(), copy.GetProperty("params").ToString());
        // Deterministic on the CPU: the same loss curve.
        Assert.Equal(source.GetProperty("metrics").GetProperty("loss").GetProperty("last").GetDouble(),
            copy.GetProperty("metrics").GetProperty("loss").GetProperty("last").GetDouble());
    }
}
