using System.Net.Http.Json;
using System.Text.Json;
using Bunit;
using Dashboard.Web.Components.Pages.Analysis;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Web.Tests.Components;

/// <summary>bUnit: the scaling-law page of a width sweep the test server trains, as the API fits it.</summary>
public sealed class ScalingPageTests(DashboardFactory factory) : AppTestContext(factory)
{
    [Fact]
    public async Task The_page_draws_the_seed_means_and_the_fitted_law_and_says_why_when_x_has_no_spread()
    {
        var client = Factory.CreateClient();
        var response = await client.PostSpecAsync("""
            { "name": "pagew", "dataset": { "name": "hyperspheres", "n": 400, "p": 8, "d": 2, "classes": 3 },
              "model": { "name": "mlp", "layer_size": [8] }, "batch_size": 40, "max_epochs": 2,
              "sweep": { "method": "grid", "parameters": { "model.layer_size": [[2], [4], [8], [16]], "seed": [0, 1] } } }
            """);
        var launched = await response.Content.ReadFromJsonAsync<JsonElement>();
        var experiment = launched.GetProperty("experiment_id").GetInt64();
        foreach (var id in launched.GetProperty("run_ids").EnumerateArray()) await client.WaitFinishedAsync(id.GetInt64());
        var api = await client.GetFromJsonAsync<JsonElement>($"/api/analysis/scaling?experiment={experiment}&law=power");

        Services.GetRequiredService<NavigationManager>().NavigateTo($"analysis/scaling?experiment={experiment}&law=power");
        var page = Render<Scaling>();

        page.WaitForAssertion(() => Assert.NotNull(page.Find("#scaling-fit-table")), TimeSpan.FromSeconds(20));
        Assert.Equal(Dashboard.Web.Analysis.Estimate.Fmt(api.GetProperty("fit").GetProperty("alpha").GetProperty("value").GetDouble()),
            page.Find("[data-constant=a] td").TextContent);
        var chart = page.Find("[data-chart=scaling-chart]");
        Assert.Equal("4", chart.GetAttribute("data-traces"));   // the band's two edges, the seed means, the law
        Assert.Equal((3 * 4 + 60).ToString(), chart.GetAttribute("data-points"));
        Assert.Equal("8", page.Find("[data-chart=residuals-chart]").GetAttribute("data-points"));
        Assert.Contains("8 runs at 4 values of x", page.Find("#scaling-counts").TextContent);
        Assert.Equal("9", page.Find("[data-chart=frontier-chart]").GetAttribute("data-traces"));   // every run's curve and the frontier
        Assert.Contains($"experiment={experiment}", page.Find("#scaling-csv").GetAttribute("href"));

        page.Find("#scaling-x").Change("D");
        page.Find("#scaling-form").Submit();
        page.WaitForAssertion(() => Assert.Equal("No fit: D has no spread: every run has D = 320.", page.Find("#scaling-error").TextContent), TimeSpan.FromSeconds(20));
    }
}
