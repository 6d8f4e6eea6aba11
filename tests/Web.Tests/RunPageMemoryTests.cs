using System.Net;

namespace Dashboard.Web.Tests;

/// <summary>The run page shows the run's estimated memory beside its parameters and FLOPs, from its stored spec.</summary>
public sealed class RunPageMemoryTests(DashboardFactory factory) : IClassFixture<DashboardFactory>
{
    [Fact]
    public async Task The_issue_s_924_million_parameter_mlp_shows_its_estimate_on_its_page()
    {
        var run = await factory.AddRunAsync("memory", spec: """
            {"name":"memory","dataset":{"name":"fashion_mnist"},"model":{"name":"mlp","layer_size":[30000,30000]},"batch_size":128,"max_epochs":1}
            """);
        var response = await factory.CreateClient().GetAsync($"/runs/{run.Id}");
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Matches(@"id=""memory-estimate""[^>]*>memory ≈ 11.3 GB: parameters 3.7 GB, gradients 3.7 GB, dataset 221 MB, activations [\d.]+ MB at batch 128, batch 403 kB, temporaries 3.6 GB<", html);
        Assert.Contains("923,880,010", html);
    }
}
