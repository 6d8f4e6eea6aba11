using Dashboard.Data;

namespace Dashboard.Web.Tests;

/// <summary>The compare page as the server renders it (its chart is drawn in the browser: tests/Browser.Tests).</summary>
public sealed class ComparePageTests(DashboardFactory factory) : IClassFixture<DashboardFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    [Fact]
    public async Task The_page_offers_the_runs_metrics_and_differing_parameters_and_names_runs_it_cannot_find()
    {
        var a = await factory.AddRunAsync("page", """{"seed":1}""");
        var b = await factory.AddRunAsync("page", """{"seed":2}""", status: RunStatus.Diverged);
        await factory.WriteAsync(a.Id, DateTime.UtcNow, ("loss", 1, 1), ("val_loss", 1, 2));

        var html = await _client.GetStringAsync($"/compare?runs={a.Id},{b.Id},424242&key=val_loss&x=epoch&group=seed");
        Assert.Contains("Compare 2 runs", html);
        Assert.Contains("No run with id 424242; comparing the others.", html);
        // Tags as rendered, less the scoped-CSS attribute (b-xxxx) that each carries.
        Assert.Matches("""<option value="val_loss" selected[^>]*>val_loss""", html);
        Assert.Matches("""<option value="epoch" selected[^>]*>Epoch""", html);
        Assert.Matches("""<option value="seed" selected[^>]*>seed \(mean ± std\)""", html);
        Assert.Matches($"""href="api/runs/export.csv\?ids={a.Id},{b.Id}" download[^>]*>CSV \(full resolution\)""", html);
        Assert.Matches($"""<a href="runs/{b.Id}"[^>]*>page/00002</a> <span class="badge status-badge text-bg-warning" data-status="diverged">""", html);
        // The differing row is shown and marked; an equal one waits behind "show all parameters".
        Assert.Matches("""<tr class="differs table-warning" data-key="seed"[^>]*>""", html);
        Assert.Matches("""<tr class="same" data-key="model.name" hidden[^>]*>""", html);
    }

    [Fact]
    public async Task Without_runs_the_page_says_how_to_pick_them()
    {
        var html = await _client.GetStringAsync("/compare");
        Assert.Contains("/compare?runs=1,2,3", html);
        Assert.DoesNotContain("id=\"compare-chart\"", html);
        Assert.Contains("runs: &#x27;x&#x27; is not a run id", await _client.GetStringAsync("/compare?runs=x"));
    }
}
