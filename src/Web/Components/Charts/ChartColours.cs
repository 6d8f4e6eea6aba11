using System.Globalization;

namespace Dashboard.Web.Components.Charts;

/// <summary>
/// Trace colours: the ten familiar ones first, then hues a golden angle apart at two lightnesses, so that run 11 is
/// not drawn in run 1's colour (a sweep of 24 runs stays 24 distinct lines).
/// </summary>
public static class ChartColours
{
    private static readonly string[] First =
        ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    public static string Of(int index)
    {
        if (index < First.Length) return First[index];
        int k = index - First.Length;
        double hue = (k * 137.508 + 15) % 360;
        int lightness = k % 2 == 0 ? 38 : 58;
        return string.Create(CultureInfo.InvariantCulture, $"hsl({hue:F0}, 70%, {lightness}%)");
    }

    /// <summary>The colour at <paramref name="alpha"/> opacity, for a band's fill.</summary>
    public static string Faint(string colour, double alpha)
    {
        if (colour.StartsWith("hsl(", StringComparison.Ordinal))
            return string.Create(CultureInfo.InvariantCulture, $"hsla({colour[4..^1]}, {alpha})");
        int v = int.Parse(colour.AsSpan(1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture, $"rgba({v >> 16}, {(v >> 8) & 255}, {v & 255}, {alpha})");
    }
}
