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
public sealed class CompareComponentTests(DashboardFactory factory) : AppTestContext(factory)
{
    [Fact]
    public async Task Changing_the_x_axis_never_draws_the_old_points_under_the_new_axis_title()
    {
        var start = DateTime.UtcNow;
        var runs = new List<long>();
        foreach (var name in new[] { "axis-a", "axis-b" })
        {
            var run = await Factory.AddRunAsync(name);
            // Three steps of 50 samples each: on the samples axis the points sit at 50, 100 and 150.
            await Factory.WriteAsync(run.Id, start, ("loss", 1, 0.9), ("loss", 2, 0.7), ("loss", 3, 0.6),
                ("samples", 1, 50), ("samples", 2, 100), ("samples", 3, 150));
            runs.Add(run.Id);
        }
        var nav = Services.GetRequiredService<NavigationManager>();
        nav.NavigateTo($"compare?runs={string.Join(",", runs)}&key=loss");
        var page = Render<Compare>();
        // The chart is first drawn with the curves read, not empty while they are read.
        page.WaitForAssertion(() =>
        {
            Assert.Equal("6", page.Find("[data-chart=compare-chart]").GetAttribute("data-points"));
            Assert.NotEqual("0", page.Find("[data-chart=compare-chart]").GetAttribute("data-draws"));
        });
        await Task.Delay(300);
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

    [Fact]
    public async Task Grouping_by_one_key_draws_a_band_per_value_counting_its_runs_and_by_two_keys_one_per_pair()
    {
        var start = DateTime.UtcNow;
        var ids = new List<long>();
        // Three seeds at lr 0.1 whose losses spread wide (a band reaching below zero on a linear axis), one run at 0.05.
        foreach (var (lr, seed, loss) in new[] { (0.1, 0, 0.01), (0.1, 1, 0.01), (0.1, 2, 5.0), (0.05, 0, 1.0) })
        {
            var run = await Factory.AddRunAsync("grouped", $$"""{"optimizer.lr":{{lr.ToString(System.Globalization.CultureInfo.InvariantCulture)}},"seed":{{seed}}}""");
            await Factory.WriteAsync(run.Id, start, ("loss", 1, loss), ("loss", 2, loss), ("loss", 3, loss));
            ids.Add(run.Id);
        }
        var nav = Services.GetRequiredService<NavigationManager>();
        nav.NavigateTo($"compare?runs={string.Join(",", ids)}&key=loss&group=optimizer.lr&logy=1");
        var page = Render<Compare>();
        page.WaitForAssertion(() => page.FindComponent<PlotlyChart>());
        var traces = page.FindComponent<PlotlyChart>().Instance.Data.Cast<Scatter>().ToList();
        Assert.Equal(["optimizer.lr = 0.05 (1 run)", "optimizer.lr = 0.1 (3 runs)"], traces.Where(t => (string)t.Meta == "mean").Select(t => t.Name));
        // On the log axis the band of the wide seeds stops above zero instead of filling to the bottom.
        var lower = traces.Where(t => (string)t.Meta == "band-lower").ToList();
        Assert.Equal(2, lower.Count);
        Assert.All(lower[1].Y.Cast<double>(), v => Assert.True(v > 0, $"lower edge {v}"));
        Assert.True(traces.Where(t => (string)t.Meta == "band").All(t => t.Fill == Plotly.Blazor.Traces.ScatterLib.FillEnum.ToNextY));

        // Both keys: one group per (seed, lr) pair that exists, each of one run.
        await page.Find("#group").ChangeAsync(new ChangeEventArgs { Value = new[] { "optimizer.lr", "seed" } });
        page.WaitForAssertion(() => Assert.Equal(4, page.FindComponent<PlotlyChart>().Instance.Data.Cast<Scatter>().Count(t => (string)t.Meta == "mean")));
        var pairs = page.FindComponent<PlotlyChart>().Instance.Data.Cast<Scatter>().Where(t => (string)t.Meta == "mean").Select(t => t.Name).ToList();
        Assert.All(pairs, name => Assert.EndsWith("(1 run)", name));
        Assert.Contains("optimizer.lr = 0.1 · seed = 2 (1 run)", pairs);
    }
}
