using Bunit;
using Dashboard.Web.Components.Pages.Analysis;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Web.Tests.Components;

/// <summary>bUnit: the runtime pivot page on stored runs with known epoch times.</summary>
public sealed class RuntimePageTests(DashboardFactory factory) : AppTestContext(factory)
{
    [Fact]
    public async Task The_table_shows_each_cells_mean_and_speed_up_with_the_ideal_and_the_chart_draws_the_ideal_line()
    {
        var ids = new List<long>();
        foreach (var (gpus, times) in new[] { (1, new[] { 10.0, 12 }), (2, [6.0, 6]), (4, [4.0, 3]) })
            foreach (var time in times)
            {
                var run = await Factory.AddRunAsync("rtpage", spec: $$"""
                    { "name": "rtpage", "dataset": { "name": "hyperspheres" }, "model": { "name": "mlp" }, "batch_size": 128, "num_gpu": {{gpus}}, "device": "cuda:0" }
                    """);
                await Factory.WriteAsync(run.Id, DateTime.UtcNow, ("epoch_time", 5, time), ("epoch_time", 10, time));
                ids.Add(run.Id);
            }

        Services.GetRequiredService<NavigationManager>().NavigateTo($"analysis/runtime?runs={string.Join(",", ids)}&rows=batch_size&cols=num_gpu");
        var page = Render<Runtime>();

        page.WaitForAssertion(() => Assert.NotNull(page.Find("#runtime-table")), TimeSpan.FromSeconds(10));
        var cell = page.Find("[data-cell='128|4']");
        Assert.Equal("3.5 ± 0.5", cell.QuerySelector(".mean")!.TextContent.Trim());
        Assert.Equal("3.14× (ideal 4×) · 2 runs", cell.QuerySelector(".speed-up")!.TextContent.Trim());
        Assert.Contains("table-active", page.Find("[data-cell='128|1']").ClassList);
        Assert.Equal("2", page.Find("[data-chart=speedup-chart]").GetAttribute("data-traces"));   // the row, and ideal scaling
        Assert.Equal("6", page.Find("[data-chart=speedup-chart]").GetAttribute("data-points"));
    }
}
