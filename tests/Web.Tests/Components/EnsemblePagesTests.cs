using System.Net.Http.Json;
using System.Text.Json;
using Bunit;
using Dashboard.Data;
using Dashboard.Web.Components.Pages.Analysis;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Web.Tests.Components;

/// <summary>bUnit: the ensembles page's form, and an ensemble's page as its job evaluates runs the test server trains.</summary>
public sealed class EnsemblePagesTests : AppTestContext
{
    public EnsemblePagesTests(DashboardFactory factory) : base(factory, "ann") => Auth.SetRoles(Roles.Researcher);

    private async Task<long[]> TrainedAsync(string project, params string[] layers)
    {
        var client = Factory.CreateClient();
        var ids = new List<long>();
        foreach (var l in layers)
            ids.Add(await client.LaunchAsync($$"""
                { "name": "{{project}}", "dataset": { "name": "hyperspheres", "n": 300, "p": 6, "d": 2, "classes": 3, "noise": 0.3 },
                  "model": { "name": "mlp", "layer_size": {{l}} }, "batch_size": 30, "max_epochs": 2, "seed": 4 }
                """));
        foreach (var id in ids) Assert.Equal("completed", (await client.WaitFinishedAsync(id)).GetProperty("status").GetString());
        return [.. ids];
    }

    [Fact]
    public async Task Runs_chosen_in_the_runs_table_are_filled_in_evaluated_and_shown_beside_the_ensemble()
    {
        var ids = await TrainedAsync("pagens", "[4]", "[16, 8]");
        var nav = Services.GetRequiredService<NavigationManager>();
        nav.NavigateTo($"analysis/ensembles?runs={ids[0]},{ids[1]}");
        var form = Render<Ensembles>();
        Assert.Equal($"{ids[0]}, {ids[1]}", form.Find("#ensemble-runs").GetAttribute("value"));

        form.Find("#ensemble-form").Submit();
        form.WaitForAssertion(() => Assert.Matches(@"analysis/ensembles/\d+$", nav.Uri), TimeSpan.FromSeconds(15));
        var id = long.Parse(nav.Uri.Split('/').Last());
        var page = Render<EnsemblePage>(p => p.Add(x => x.Id, id));

        page.WaitForAssertion(() => Assert.Equal("done", page.Find("#ensemble-page").GetAttribute("data-status")), TimeSpan.FromSeconds(30));
        var api = await Factory.CreateClient().GetFromJsonAsync<JsonElement>($"/api/analysis/ensembles/{id}");
        string Cells(string selector) => string.Join("|", page.Find(selector).QuerySelectorAll("td").Select(td => td.TextContent.Trim()));
        string Fmt(JsonElement e) => string.Join("|", new[] { "accuracy", "loss", "ap" }.Select(k => Dashboard.Web.Analysis.EnsembleResults.Fmt(e.GetProperty(k).GetDouble())));
        Assert.Equal("ensemble||" + Fmt(api.GetProperty("ensemble")), Cells("[data-row=ensemble]"));
        Assert.Equal($"pagens/00001|epoch-0002.pt|{Fmt(api.GetProperty("members")[0])}", Cells($"[data-run-id='{ids[0]}']"));
        Assert.Equal($"pagens/00002|epoch-0002.pt|{Fmt(api.GetProperty("members")[1])}", Cells($"[data-run-id='{ids[1]}']"));
        Assert.Contains("AP: average precision, macro over the classes, each class against the rest",
            System.Text.RegularExpressions.Regex.Replace(page.Find("#ensemble-about").TextContent, @"\s+", " "));
        // Bars of accuracy and loss: the two runs and the ensemble.
        Assert.Equal("2", page.Find("[data-chart=ensemble-accuracy]").GetAttribute("data-traces"));
        Assert.Equal("3", page.Find("[data-chart=ensemble-loss]").GetAttribute("data-points"));
        Assert.Equal(2, page.FindAll("[data-export-of=ensemble-loss] button").Count);
        Assert.Equal($"api/analysis/ensembles/{id}.csv", page.Find("#ensemble-csv").GetAttribute("href"));

        // Listed on the ensembles page, done.
        var list = Render<Ensembles>();
        Assert.Equal("done", list.Find($"[data-ensemble-id='{id}'] .ensemble-status").TextContent);
    }

    [Fact]
    public async Task A_bad_choice_is_answered_beside_the_runs_field_and_nothing_is_stored()
    {
        var ids = await TrainedAsync("pagebad", "[4]");
        await using var db = Factory.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<DashboardDb>>().CreateDbContext();
        int before = db.Ensembles.Count();
        var form = Render<Ensembles>();

        form.Find("#ensemble-runs").Change($"{ids[0]}");
        form.Find("#ensemble-form").Submit();
        form.WaitForAssertion(() => Assert.Equal("choose at least 2 different runs, got 1", form.Find(".field-error[data-field=runs]").TextContent), TimeSpan.FromSeconds(15));
        form.Find("#ensemble-runs").Change("1, two");
        form.Find("#ensemble-form").Submit();
        form.WaitForAssertion(() => Assert.Equal("'two' is not a run id (a positive whole number)", form.Find(".field-error[data-field=runs]").TextContent), TimeSpan.FromSeconds(15));
        Assert.Contains("is-invalid", form.Find("#ensemble-runs").GetAttribute("class"));
        Assert.Equal(before, db.Ensembles.Count());

        var missing = Render<EnsemblePage>(p => p.Add(x => x.Id, 987654));
        missing.WaitForAssertion(() => Assert.Contains("There is no ensemble with id 987654", missing.Find("#not-found").TextContent), TimeSpan.FromSeconds(15));
    }
}
