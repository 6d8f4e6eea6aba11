using Bunit;
using Dashboard.Web.Components.Charts;
using Plotly.Blazor;
using Plotly.Blazor.Traces;

namespace Dashboard.Web.Tests.Components;

/// <summary>bUnit: the chart component given series hands plotly.js the traces, axes and marks a user sees.</summary>
public class ChartTests : BunitContext
{
    public ChartTests() => JSInterop.Mode = JSRuntimeMode.Loose;

    private IRenderedComponent<Chart> Draw(IReadOnlyList<ChartTrace> traces, bool logY = false, double? diverged = null) =>
        Render<Chart>(p => p.Add(c => c.Id, "loss-chart").Add(c => c.Title, "Loss").Add(c => c.Traces, traces)
            .Add(c => c.LogY, logY).Add(c => c.DivergedAt, diverged));

    [Fact]
    public void Each_series_is_a_named_trace_with_its_points_and_epoch_metrics_carry_markers()
    {
        var chart = Draw([
            new ChartTrace("loss", [1, 2, 3], [2.0, 1.5, 1.2], ChartColours.Of(0)),
            new ChartTrace("val_loss", [3], [1.4], ChartColours.Of(1), TraceStyle.Markers),
        ]);
        var data = chart.FindComponent<PlotlyChart>().Instance.Data.Cast<Scatter>().ToList();
        Assert.Equal(["loss", "val_loss"], data.Select(t => t.Name));
        Assert.Equal([2.0, 1.5, 1.2], data[0].Y.Cast<double>());
        Assert.Equal(Plotly.Blazor.Traces.ScatterLib.ModeFlag.Lines | Plotly.Blazor.Traces.ScatterLib.ModeFlag.Markers, data[1].Mode);
        Assert.Equal("4", chart.Find("[data-chart=loss-chart]").GetAttribute("data-points"));
    }

    [Fact]
    public void A_constant_learning_rate_is_drawn_around_its_value_not_on_minus_half_to_one()
    {
        var chart = Draw([new ChartTrace("lr", [1, 2, 3], [0.01, 0.01, 0.01], ChartColours.Of(0))]);
        var range = chart.FindComponent<PlotlyChart>().Instance.Layout.YAxis[0].Range.Cast<double>().ToList();
        Assert.True(range[0] < 0.01 && range[1] > 0.01 && range[0] > 0, $"{range[0]}..{range[1]}");
    }

    [Fact]
    public void The_legend_sits_above_the_plot_and_a_divergence_is_marked()
    {
        var layout = Draw([new ChartTrace("loss", [1, 2], [1, 2], ChartColours.Of(0))], diverged: 2).FindComponent<PlotlyChart>().Instance.Layout;
        Assert.True(layout.Legend[0].Y > 1);
        Assert.Equal(2.0, Assert.Single(layout.Shapes).X0);
    }

    [Fact]
    public void Colours_stay_distinct_beyond_ten_runs()
    {
        var colours = Enumerable.Range(0, 40).Select(ChartColours.Of).ToList();
        Assert.Equal(40, colours.Distinct().Count());
    }
}
