using System.ComponentModel.DataAnnotations;

namespace Dashboard.Training.Alerts;

/// <summary>Section "Alerts": how webhooks are posted and retried, and the address their links point at.</summary>
public sealed class AlertsOptions
{
    public const string Section = "Alerts";

    /// <summary>Posts tried again after the first one fails (Hangfire's AutomaticRetry), each logged on the settings page.</summary>
    [Range(0, 20)]
    public int Retries { get; set; } = 5;

    /// <summary>
    /// Seconds before each retry; the last one repeats. Short by default: a receiver that is restarting is back within
    /// minutes, and an alert an hour late is worth little. No initial value (the binder would append to it): set in
    /// <see cref="Complete"/>.
    /// </summary>
    public int[] RetryDelaysSeconds { get; set; } = [];

    /// <summary>How long one post may take before it counts as failed.</summary>
    [Range(1, 300)]
    public int TimeoutSeconds { get; set; } = 10;

    /// <summary>Posts at once in this process (a Hangfire server of its own, so a slow receiver never takes a training slot).</summary>
    [Range(1, 32)]
    public int Senders { get; set; } = 2;

    /// <summary>
    /// The dashboard's address as its users reach it ("https://dash.lab.example"), for the run links in webhooks. Worker
    /// hosts of a cluster need it set; a web process left without it uses the address it listens on.
    /// </summary>
    [Url]
    public string? DashboardUrl { get; set; }

    public static void Complete(AlertsOptions o)
    {
        if (o.RetryDelaysSeconds.Length == 0) o.RetryDelaysSeconds = [5, 30, 120, 600, 1800];
    }

    /// <summary>One delay per retry, the last configured one repeated.</summary>
    public int[] Delays() =>
        Enumerable.Range(0, Retries).Select(i => Math.Max(1, RetryDelaysSeconds[Math.Min(i, RetryDelaysSeconds.Length - 1)])).ToArray();

    /// <summary>A run's page, absolute when the dashboard's address is known, else the path alone.</summary>
    public string RunLink(long runId) => $"{DashboardUrl?.TrimEnd('/')}/runs/{runId}";
}
