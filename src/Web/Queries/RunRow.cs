using System.Text.Json.Nodes;
using Dashboard.Data;
using Dashboard.Training.Specs;
using Dashboard.Web.Components;

namespace Dashboard.Web.Queries;

/// <summary>What the table shows of a run: its small columns, sweep parameters and metric summaries.</summary>
public sealed class RunRow
{
    public long Id { get; init; }
    public long ExperimentId { get; init; }
    public required string Project { get; init; }
    public int Number { get; init; }
    public required string Status { get; init; }
    public int Epoch { get; init; }
    public int MaxEpochs { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime? StartedAt { get; init; }
    public DateTime? FinishedAt { get; init; }
    public long? DivergedAtStep { get; init; }
    public string Tags { get; init; } = "";
    public string ParamsJson { get; init; } = "{}";
    public string? SpecJson { get; init; }
    public Dictionary<string, MetricSummary> Summaries { get; set; } = [];
    public string? Error { get; init; }
    public long? ParameterCount { get; init; }
    public long? FlopsPerSample { get; init; }

    public const string ParameterCountKey = "parameter_count", FlopsPerSampleKey = "flops_per_sample";

    /// <summary>A failed run's reason, its first line cut to fit a table cell (the whole in the cell's title).</summary>
    public string ShortError => Error is null ? "" : Error.Split('\n')[0] is var line && line.Length > 90 ? line[..87] + "…" : line;

    /// <summary>What a filter compares: the model size by its key, else the parameter.</summary>
    public string? Value(string key) => key switch
    {
        ParameterCountKey => ParameterCount?.ToString(System.Globalization.CultureInfo.InvariantCulture),
        FlopsPerSampleKey => FlopsPerSample?.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => Param(key),
    };

    public string DisplayName => Run.NameOf(Project, Number);
    public string[] TagList => RunTags.Parse(Tags);

    private Dictionary<string, string>? _params, _spec;

    /// <summary>The sweep's values, as JSON text (0.01, "relu", [64,32]).</summary>
    public Dictionary<string, string> Params => _params ??= SpecPaths.Flatten(JsonNode.Parse(ParamsJson));

    /// <summary>A parameter's value: the sweep's, else the spec's own at that dotted key.</summary>
    public string? Param(string key) =>
        Params.TryGetValue(key, out var v) ? v
        : SpecJson is null ? null
        : (_spec ??= SpecPaths.Flatten(JsonNode.Parse(SpecJson))).GetValueOrDefault(key);

    public double? Metric(MetricRef m)
    {
        if (!Summaries.TryGetValue(m.Key, out var s)) return null;
        return m.Stat switch
        {
            "min" => s.MinValue,
            "max" => s.MaxValue,
            "best" => MetricRef.HigherIsBetter(m.Key) ? s.MaxValue : s.MinValue,
            _ => s.LastValue,
        };
    }

    public TimeSpan? Duration => RunDisplay.Duration(StartedAt, FinishedAt, DateTime.UtcNow);

    /// <summary>Time left at the pace of the epochs done so far; null before the first epoch ends.</summary>
    public TimeSpan? Eta => RunDisplay.Eta(Status, StartedAt, Epoch, MaxEpochs, DateTime.UtcNow);
}
