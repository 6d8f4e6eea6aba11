using Bunit;
using Dashboard.Web.Components.Pages.Experiments;
using Dashboard.Web.Components.Pages.Runs;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Web.Tests.Components;

/// <summary>
/// bUnit: the run page's Minima section on runs the test server trains: the minima a run captured with Keep away, the
/// form Keep away opens, and the run launched from it saying which minimum it loaded.
/// </summary>
public sealed class RunMinimaTests(DashboardFactory factory) : AppTestContext(factory, user: "tester")
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Keep_away_on_a_captured_minimum_opens_the_form_with_the_distance_on_and_the_new_run_shows_what_it_loaded()
    {
        Auth.SetRoles(Dashboard.Data.Roles.Researcher);   // who may launch sees Keep away
        var client = Factory.CreateClient();
        var first = await client.LaunchAsync("""
            { "name": "minpage", "dataset": { "name": "hyperspheres", "n": 300, "p": 8, "d": 2 }, "model": { "name": "mlp", "layer_size": [8] },
              "loss_func": { "capture_epochs": [1, 2] }, "batch_size": 40, "max_epochs": 2 }
            """);
        await client.WaitFinishedAsync(first);

        var page = Render<RunPage>(p => p.Add(r => r.Id, first));
        page.WaitForAssertion(() =>
        {
            var rows = page.FindAll("#run-minima-captured tbody tr");
            Assert.Equal(["1", "2"], rows.Select(r => r.GetAttribute("data-epoch")));
            Assert.Equal(["minpage/00001@epoch-1", "minpage/00001@epoch-2"], page.FindAll(".minimum-reference").Select(e => e.TextContent));
            Assert.Contains("minimum-epoch-0002.f32", rows[1].TextContent);
        }, Wait);
        Assert.Empty(page.FindAll("#run-minima-loaded"));
        var keepAway = page.Find(".keep-away[data-minimum='minpage/00001@epoch-2']");
        Assert.Equal($"experiments/new?run={first}&keep_away=minpage%2F00001%40epoch-2", keepAway.GetAttribute("href"));

        var nav = Services.GetRequiredService<NavigationManager>();
        nav.NavigateTo(keepAway.GetAttribute("href")!);
        var form = Render<NewExperiment>();
        form.WaitForAssertion(() =>
        {
            Assert.NotNull(form.Find("#f-loss_func-distance").GetAttribute("checked"));
            Assert.Equal("minpage/00001@epoch-2", form.Find("#f-loss_func-minima_from").GetAttribute("value"));
        }, Wait);
        Assert.Contains("keeping away from its minimum minpage/00001@epoch-2", form.Find("#cloned-from").TextContent);
        Assert.Equal("8", form.Find(".layer-size").GetAttribute("value"));

        form.Find("#launch").Click();
        form.WaitForAssertion(() => Assert.Contains("/runs/", nav.Uri), Wait);
        var second = long.Parse(nav.Uri[(nav.Uri.LastIndexOf('/') + 1)..]);
        Assert.Equal("completed", (await client.WaitFinishedAsync(second)).GetProperty("status").GetString());

        var loaded = Render<RunPage>(p => p.Add(r => r.Id, second));
        loaded.WaitForAssertion(() =>
        {
            var cells = loaded.FindAll("#run-minima-loaded tbody tr td").Select(c => c.TextContent.Trim()).ToArray();
            Assert.Equal("minpage/00001@epoch-2", cells[0]);
            Assert.Equal("minpage/00001", cells[1]);
            Assert.Equal("2", cells[2]);
            Assert.EndsWith(Path.Combine("runs", first.ToString(), "checkpoints", "minimum-epoch-0002.f32"), cells[3]);
            Assert.Equal("minimum-from-01.f32", cells[4]);
            Assert.Contains("loaded the minimum minpage/00001@epoch-2 (minpage/00001, after epoch 2) to keep away from", loaded.Find("#run-messages").TextContent);
        }, Wait);
    }

    [Fact]
    public async Task A_viewer_sees_the_captured_minima_without_keep_away()
    {
        Auth.SetRoles(Dashboard.Data.Roles.Viewer);
        var client = Factory.CreateClient();
        var id = await client.LaunchAsync("""
            { "name": "minview", "dataset": { "name": "hyperspheres", "n": 300, "p": 8, "d": 2 }, "model": { "name": "mlp", "layer_size": [8] },
              "loss_func": { "capture_epochs": [1] }, "batch_size": 40, "max_epochs": 1 }
            """);
        await client.WaitFinishedAsync(id);
        var page = Render<RunPage>(p => p.Add(r => r.Id, id));
        page.WaitForAssertion(() => Assert.Equal("minview/00001@epoch-1", page.Find(".minimum-reference").TextContent), Wait);
        Assert.Empty(page.FindAll(".keep-away"));
    }
}
