using System.Globalization;
using Dashboard.Data;

namespace Dashboard.Web.Components;

/// <summary>How a run's status, duration and time left are shown, everywhere the dashboard shows them.</summary>
public static class RunDisplay
{
    /// <summary>The Bootstrap badge class of a status.</summary>
    public static string StatusColour(string status) => status switch
    {
        RunStatus.Queued => "text-bg-secondary",
        RunStatus.Running => "text-bg-primary",
        RunStatus.Completed => "text-bg-success",
        RunStatus.Failed => "text-bg-danger",
        RunStatus.Diverged => "text-bg-warning",
        RunStatus.Stopped => "text-bg-info",
        _ => "text-bg-light",
    };

    /// <summary>"45s", "3m 07s", "2h 05m".</summary>
    public static string Span(TimeSpan d) => d.TotalHours >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)d.TotalHours}h {d.Minutes:D2}m")
        : d.TotalMinutes >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{d.Minutes}m {d.Seconds:D2}s")
        : string.Create(CultureInfo.InvariantCulture, $"{Math.Max(d.Seconds, 0)}s");

    /// <summary>From the start to the end, or to now while it has not ended; null before it started.</summary>
    public static TimeSpan? Duration(DateTime? startedAt, DateTime? finishedAt, DateTime now) =>
        startedAt is { } s ? (finishedAt ?? now) - s : null;

    /// <summary>Time left at the pace of the epochs done so far; null unless running with at least one epoch done.</summary>
    public static TimeSpan? Eta(string status, DateTime? startedAt, int epoch, int maxEpochs, DateTime now) =>
        status == RunStatus.Running && startedAt is { } s && epoch > 0 && maxEpochs > epoch ? (now - s) / epoch * (maxEpochs - epoch) : null;

    public static string EtaText(TimeSpan? eta) => eta is { } e ? $"ETA {Span(e)}" : "";
}
