using Bunit;
using Dashboard.Data;
using Dashboard.Web.Components.Pages.Compare;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Plotly.Blazor;
using Plotly.Blazor.Traces;

namespace Dashboard.Web.Tests.Components;

/// <summary>bUnit: the compare page in its circuit, on the app's real services and SQLite file.</summary>
public sealed class CompareComponentTests : BunitContext, IClassFixture<DashboardFactory>
{
    private readonly DashboardFactory _app;

    public CompareComponentTests(DashboardFactory app)
    {
        _app = app;
        var scope = app.Services.CreateScope().ServiceProvider;
        Services.AddSingleton(scope.GetRequiredService<IDbContextFactory<DashboardDb>>());
        Services.AddSingleton(scope.GetRequiredService<RunEvents>());
        JSInterop.Mode = JSRuntimeMode.Loose;
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    [Fact]
    public async Task Changing_the_x_axis_never_draws_the_old_points_under_the_new_axis_title()
    {
        var start = DateTime.UtcNow;
        var runs = new List<long>();
        foreach (var name in new[] { "axis-a", "axis-b" })
        {
            var run = await _app.AddRunAsync(name);
            // Three steps of 50 samples each: on the samples axis the points sit at 50, 100 and 150.
            await _app.WriteAsync(run.Id, start, ("loss", 1, 0.9), ("loss", 2, 0.7), ("loss", 3, 0.6),
                ("samples", 1, 50), ("samples", 2, 100), ("samples", 3, 150));
            runs.Add(run.Id);
        }
        var nav = Services.GetRequiredService<NavigationManager>();
        nav.NavigateTo($"compare?runs={string.Join(",", runs)}&key=loss");
        var page = Render<Compare>();
        // The chart is first drawn with the curves read, not empty while they are read.
        page.WaitForAssertion(() => Assert.Equal("6", page.Find("[data-chart=compare-chart]").GetAttribute("data-points")));
        Assert.Equal("1", page.Find("[data-chart=compare-chart]").GetAttribute("data-draws"));
        var plot = page.FindComponent<PlotlyChart>();
        Assert.Equal([1.0, 2, 3], plot.Instance.Data.Cast<Scatter>().First().X.Cast<double>());

        // Every picture the chart is given from here on (each redraw changes the chart's markup): its x-axis title and
        // its first trace's x.
        var drawn = new List<(string Title, double[] X)>();
        page.OnMarkupUpdated += (_, _) => drawn.Add((plot.Instance.Layout.XAxis[0].Title.Text,
            [.. plot.Instance.Data.Cast<Scatter>().First().X.Cast<double>()]));
        await page.Find("#x").ChangeAsync(new ChangeEventArgs { Value = "samples" });

        page.WaitForAssertion(() => Assert.Equal([50.0, 100, 150], plot.Instance.Data.Cast<Scatter>().First().X.Cast<double>()));
        Assert.Equal("Samples seen", plot.Instance.Layout.XAxis[0].Title.Text);
        Assert.All(drawn.Where(d => d.Title == "Samples seen"), d => Assert.Equal([50.0, 100, 150], d.X));
        Assert.All(drawn.Where(d => d.X[0] == 1), d => Assert.Equal("Step", d.Title));
    }
}
