using System.ComponentModel.DataAnnotations;

namespace Dashboard.Data.Metrics;

/// <summary>Section "Metrics": the write path's buffer.</summary>
public sealed class MetricsOptions
{
    public const string Section = "Metrics";

    /// <summary>
    /// Points held in memory while the database cannot take them (a restart, an outage). The default holds a minute
    /// of 16 runs logging 7 keys at 150 steps a second; when it is full, trainers wait until the writer catches up.
    /// </summary>
    [Range(1_000, 100_000_000)]
    public int BufferPoints { get; set; } = 1_000_000;
}
