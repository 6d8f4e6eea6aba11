namespace Dashboard.Web.Components.Charts;

/// <summary>How a trace is drawn: a line, markers on a line (epoch metrics, whose few points each matter), the
/// lower or upper edge of a band (the upper one filled down to the lower one), markers alone, or bars (one per
/// category: an analysis's figures side by side).</summary>
public enum TraceStyle { Line, Markers, BandLower, BandUpper, Points, Bar }

/// <summary>One trace of a <see cref="Chart"/>. <paramref name="Group"/> ties a run's raw and smoothed curves (or a
/// group's band and mean) to one legend entry; <paramref name="Role"/> (raw, smoothed, mean, band...) travels as the trace's meta.
/// <paramref name="Categories"/> name a bar trace's bars, in place of its x values.</summary>
public sealed record ChartTrace(string Name, double[] X, double[] Y, string Colour, TraceStyle Style = TraceStyle.Line,
    bool InLegend = true, double Width = 1.5, double Opacity = 1, string? Group = null, string[]? Text = null, string? Role = null,
    string[]? Categories = null);
