namespace Dashboard.Data;

/// <summary>The events an alert rule can fire on, as stored in <see cref="AlertRule.Events"/> and sent in a webhook's "event".</summary>
public static class AlertEvents
{
    public const string Finished = "finished";
    public const string Failed = "failed";
    public const string Diverged = "diverged";
    public const string StoppedEarly = "stopped_early";
    /// <summary>A metric crossed the rule's threshold (fires once per run and rule).</summary>
    public const string Threshold = "threshold";
    /// <summary>Sent from the settings page to check a receiver; about no run.</summary>
    public const string Test = "test";

    /// <summary>The run events a rule may choose, in the order the settings page lists them.</summary>
    public static readonly string[] RunEnds = [Finished, Failed, Diverged, StoppedEarly];

    /// <summary>The event a run's finished status is, or null for an end no rule fires on (cancelled by a person).</summary>
    public static string? OfStatus(string status) => status switch
    {
        RunStatus.Completed => Finished,
        RunStatus.Failed => Failed,
        RunStatus.Diverged => Diverged,
        RunStatus.Stopped => StoppedEarly,
        _ => null,
    };

    public static string Label(string e) => e switch
    {
        Finished => "finished",
        Failed => "failed",
        Diverged => "diverged",
        StoppedEarly => "stopped early",
        Threshold => "threshold crossed",
        Test => "test",
        _ => e,
    };
}

/// <summary>The comparisons a threshold takes; the value a run reaches is compared with the rule's.</summary>
public static class AlertComparisons
{
    public static readonly string[] All = [">", ">=", "<", "<="];

    /// <summary>Whether a metric's lowest and highest values so far ever met the rule (it crossed at some step).</summary>
    public static bool Crossed(string comparison, double min, double max, double threshold) => comparison switch
    {
        ">" => max > threshold,
        ">=" => max >= threshold,
        "<" => min < threshold,
        "<=" => min <= threshold,
        _ => false,
    };
}

/// <summary>
/// What a user wants to hear about: runs of a project (or of every project) ending in some way, or a metric crossing a
/// threshold; heard through a webhook, the browser, or both.
/// </summary>
public sealed class AlertRule
{
    public const int UrlLength = 2048, SecretLength = 256;

    public long Id { get; set; }
    /// <summary>The user it belongs to ("local" while sign-in is off); their open pages show its browser notifications.</summary>
    public required string Owner { get; set; }
    /// <summary>The project (run name prefix, "mnist"); null for every project.</summary>
    public string? Project { get; set; }
    /// <summary>Only runs the owner launched.</summary>
    public bool OnlyMine { get; set; }
    /// <summary>Comma-separated <see cref="AlertEvents.RunEnds"/>; may be empty when the rule has a threshold.</summary>
    public string Events { get; set; } = "";
    public string? MetricKey { get; set; }
    public string? Comparison { get; set; }
    public double? Threshold { get; set; }
    public string? WebhookUrl { get; set; }
    /// <summary>Signs the webhook's body (HMAC-SHA256). Kept as typed: signing needs it, so it cannot be hashed.</summary>
    public string? Secret { get; set; }
    public bool Browser { get; set; }
    public bool Enabled { get; set; } = true;
    public DateTime CreatedAt { get; set; }

    public string[] EventList => Events.Split(',', StringSplitOptions.RemoveEmptyEntries);

    public bool HasThreshold => MetricKey is not null && Comparison is not null && Threshold is not null;

    /// <summary>"val_accuracy > 0.9".</summary>
    public string? ThresholdText => HasThreshold ? $"{MetricKey} {Comparison} {Threshold!.Value.ToString("G", System.Globalization.CultureInfo.InvariantCulture)}" : null;

    public bool Covers(Run run) => (Project is null || Project == run.Project) && (!OnlyMine || run.LaunchedBy == Owner);
}

public static class DeliveryStatus
{
    /// <summary>Stored, its first post not answered yet.</summary>
    public const string Pending = "pending";
    /// <summary>A post failed; Hangfire tries again later.</summary>
    public const string Retrying = "retrying";
    public const string Delivered = "delivered";
    /// <summary>Every attempt failed.</summary>
    public const string Failed = "failed";
    /// <summary>No webhook: shown in the browser only.</summary>
    public const string BrowserOnly = "browser only";
}

/// <summary>
/// One alert fired: a rule, a run and an event, stored once (unique), so a run's end or a threshold crossed is sent once
/// even when two hosts or two events see it. The body is fixed when it fires, so every retry sends and signs the same bytes.
/// </summary>
public sealed class AlertDelivery
{
    public long Id { get; set; }
    public long RuleId { get; set; }
    /// <summary>Null for a test post from the settings page (event "test").</summary>
    public long? RunId { get; set; }
    public required string Owner { get; set; }
    public required string Event { get; set; }
    /// <summary>What the notification says: "hps/00003 diverged", "hps/00004: val_accuracy 0.93 > 0.9".</summary>
    public required string Summary { get; set; }
    /// <summary>The JSON body posted to the webhook.</summary>
    public required string Payload { get; set; }
    public string? Url { get; set; }
    public bool Browser { get; set; }
    public string Status { get; set; } = DeliveryStatus.Pending;
    public DateTime CreatedAt { get; set; }
    public DateTime? DeliveredAt { get; set; }
    public List<AlertAttempt> Attempts { get; set; } = [];
}

/// <summary>One post of a delivery to its webhook: the receiver's status code, or the error when none came.</summary>
public sealed class AlertAttempt
{
    public long Id { get; set; }
    public long DeliveryId { get; set; }
    public int Number { get; set; }
    public DateTime Time { get; set; }
    public int? StatusCode { get; set; }
    public string? Error { get; set; }
    public int DurationMs { get; set; }
}
