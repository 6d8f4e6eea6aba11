using Bunit;
using Dashboard.Web.Components.Pages.Experiments;
using Dashboard.Web.Components.Pages.Runs;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Web.Tests.Components;

/// <summary>bUnit: forking from a run page's checkpoint, the form it opens, and the lineage both runs' pages show, on runs the test server trained.</summary>
public sealed class ForkPageTests(DashboardFactory factory) : AppTestContext(factory, user: "tester")
{
    private static string Spec(double lr, string? forkFrom = null) => $$"""
        { "name": "forkc", "dataset": { "name": "hyperspheres", "n": 300, "p": 8, "d": 2 }, "model": { "name": "mlp", "layer_size": [8] },
          "optimizer": { "name": "sgd", "lr": {{lr}} }, "batch_size": 48, "max_epochs": 3, "checkpoint": { "every": 1, "keep_last": 5 }
          {{(forkFrom is null ? "" : $", \"fork_from\": \"{forkFrom}\"")}} }
        """;

    [Fact]
    public async Task Fork_on_a_checkpoint_opens_the_form_from_it_and_both_pages_show_the_lineage_with_what_changed()
    {
        Auth.SetRoles(Dashboard.Data.Roles.Researcher);   // who may launch sees Fork
        var client = Factory.CreateClient();
        var parentId = await client.LaunchAsync(Spec(0.1));
        await client.WaitFinishedAsync(parentId);

        var parentPage = Render<RunPage>(p => p.Add(r => r.Id, parentId));
        var link = parentPage.WaitForElement("[data-fork-from='forkc/00001@epoch-0002']", TimeSpan.FromSeconds(10));
        Assert.Equal("experiments/new?fork=forkc%2F00001%40epoch-0002", link.GetAttribute("href"));

        Services.GetRequiredService<NavigationManager>().NavigateTo("experiments/new?fork=forkc%2F00001%40epoch-0002");
        var form = Render<NewExperiment>();
        form.WaitForAssertion(() => Assert.Equal("forkc/00001@epoch-0002", form.Find("#f-fork_from").GetAttribute("value")), TimeSpan.FromSeconds(10));
        Assert.Contains("A fork of forkc/00001 from its checkpoint epoch-0002", form.Find("#fork-note").TextContent);
        Assert.Equal("0.1", form.Find("#f-optimizer-lr").GetAttribute("value"));

        var forkId = await client.LaunchAsync(Spec(0.01, "forkc/00001@epoch-0002"));
        await client.WaitFinishedAsync(forkId);
        var forkPage = Render<RunPage>(p => p.Add(r => r.Id, forkId));
        forkPage.WaitForAssertion(() =>
        {
            var lineage = forkPage.Find("#run-fork-of").TextContent;
            Assert.Contains("Forked from forkc/00001 at its checkpoint epoch-0002 (after epoch 2, step 10)", System.Text.RegularExpressions.Regex.Replace(lineage, @"\s+", " "));
            Assert.Equal("Changed: optimizer.lr 0.1 → 0.01.", forkPage.Find("#run-fork-changes").TextContent);
            Assert.Equal($"compare?runs={parentId},{forkId}", forkPage.Find("#compare-parent").GetAttribute("href"));
        }, TimeSpan.FromSeconds(10));

        var again = Render<RunPage>(p => p.Add(r => r.Id, parentId));
        again.WaitForAssertion(() =>
        {
            Assert.Contains("forkc/00002 (after epoch 2)", again.Find($"[data-fork='{forkId}']").TextContent);
            Assert.Equal($"compare?runs={parentId},{forkId}", again.Find("#compare-forks").GetAttribute("href"));
        }, TimeSpan.FromSeconds(10));
    }
}
