namespace Dashboard.Web.Queries;

/// <summary>A metric as a table column: its latest value, or its lowest, highest or best (highest for accuracies and AP).</summary>
public sealed record MetricRef(string Key, string Stat)
{
    public static readonly string[] Stats = ["last", "min", "max", "best"];

    public static MetricRef? TryParse(string text, IReadOnlyCollection<string> metricKeys)
    {
        if (metricKeys.Contains(text)) return new MetricRef(text, "last");
        var dot = text.LastIndexOf('.');
        if (dot > 0 && Stats.Contains(text[(dot + 1)..]) && metricKeys.Contains(text[..dot])) return new MetricRef(text[..dot], text[(dot + 1)..]);
        return null;
    }

    public static bool HigherIsBetter(string key) => Dashboard.Data.Metrics.MetricCatalogue.Describe(key).HigherIsBetter;

    public string Label => Stat == "last" ? Key : $"{Key} ({Stat})";
    public override string ToString() => Stat == "last" ? Key : $"{Key}.{Stat}";
}


public enum RunColumnKind { Name, Status, Progress, Param, Size, Metric, Tags, Created, Duration }

/// <summary>
/// A column of the runs table: what it shows, the key it sorts by, and whether its first click sorts descending
/// (best first: metrics where lower is better, and names, ascending). Every column but the run's name can be hidden
/// with the column picker; hidden columns travel in the address as hide=key,key.
/// </summary>
public sealed record RunColumn(string Key, string Label, RunColumnKind Kind, string? Sort, bool FirstDescending = true, MetricRef? Metric = null)
{
    /// <summary>
    /// Numbers and times never wrap ("2.028e-4" on one line); headers, parameters and tags may, so that the default
    /// columns fit 1,400 px ("val_accuracy (max)" over two lines is narrower than its name on one).
    /// </summary>
    public string HeaderClass => Kind switch
    {
        RunColumnKind.Metric or RunColumnKind.Size => "text-end metric-col",
        RunColumnKind.Param => "param-col",
        _ => "",
    };

    public string CellClass => Kind switch
    {
        RunColumnKind.Name => "text-nowrap run-name",
        RunColumnKind.Status => "run-status",
        RunColumnKind.Progress => "progress-cell",
        RunColumnKind.Param => "font-monospace small param-cell",
        RunColumnKind.Size => "text-end font-monospace small text-nowrap size-cell",
        RunColumnKind.Metric => "text-end font-monospace small text-nowrap metric-cell",
        RunColumnKind.Tags => "run-tags",
        RunColumnKind.Created => "text-nowrap small run-created",
        RunColumnKind.Duration => "text-nowrap small run-duration",
        _ => "",
    };

    /// <summary>The cell's text for the plain columns (name, status, progress and tags are drawn by the table).</summary>
    public string Text(RunRow r) => Kind switch
    {
        RunColumnKind.Param => r.Params.GetValueOrDefault(Key) ?? "",
        RunColumnKind.Metric => Number(r.Metric(Metric!)),
        RunColumnKind.Size => Count(Key == RunRow.ParameterCountKey ? r.ParameterCount : r.FlopsPerSample),
        RunColumnKind.Created => r.CreatedAt.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture),
        RunColumnKind.Duration => r.Duration is { } d ? Dashboard.Web.Components.RunDisplay.Span(d) : "",
        _ => "",
    };

    public static string Number(double? v) => v is not { } x ? ""
        : x.ToString(Math.Abs(x) >= 1e5 || (Math.Abs(x) < 1e-3 && x != 0) ? "0.###e+0" : "0.####", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Counts in thousands, millions, billions: 1.2M parameters, 3.4G FLOPs.</summary>
    public static string Count(long? v) => v switch
    {
        null => "",
        >= 1_000_000_000 => (v.Value / 1e9).ToString("0.##", System.Globalization.CultureInfo.InvariantCulture) + "G",
        >= 1_000_000 => (v.Value / 1e6).ToString("0.##", System.Globalization.CultureInfo.InvariantCulture) + "M",
        >= 10_000 => (v.Value / 1e3).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) + "k",
        _ => v.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>The columns of a result: fixed ones around the sweep's parameters, the model size and the metrics.</summary>
    public static List<RunColumn> For(RunQueryResult result) =>
    [
        new("name", "Run", RunColumnKind.Name, "name", FirstDescending: false),
        new("status", "Status", RunColumnKind.Status, "status"),
        new("progress", "Progress", RunColumnKind.Progress, "progress"),
        .. result.ParamColumns.Select(p => new RunColumn(p, p, RunColumnKind.Param, p)),
        new(RunRow.ParameterCountKey, "Params", RunColumnKind.Size, RunRow.ParameterCountKey),
        new(RunRow.FlopsPerSampleKey, "FLOPs per sample", RunColumnKind.Size, RunRow.FlopsPerSampleKey),
        .. result.MetricColumns.Select(m => new RunColumn(m.ToString(), m.Label, RunColumnKind.Metric, m.ToString(),
            FirstDescending: m.Stat switch { "min" => false, "max" => true, _ => MetricRef.HigherIsBetter(m.Key) }, Metric: m)),
        new("tags", "Tags", RunColumnKind.Tags, null),
        new("created", "Created (UTC)", RunColumnKind.Created, "created"),
        new("duration", "Duration", RunColumnKind.Duration, "duration"),
    ];

    public static HashSet<string> ParseHidden(IEnumerable<string?> values) =>
        values.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Where(k => k != "name").ToHashSet();
}
