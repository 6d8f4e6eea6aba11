namespace Dashboard.Data.Metrics;

/// <summary>When a metric is logged: at logged steps, once per epoch (at the epoch's last step), or by the host's sampler.</summary>
public enum MetricCadence { Step, Epoch, System }

/// <param name="Name">The stored key.</param>
/// <param name="Cadence">When it is logged; epoch metrics are drawn with markers, step metrics as lines.</param>
/// <param name="Counter">Cumulative and zero before the first step: usable as an x-axis (updates, samples, FLOPs, time).</param>
/// <param name="HigherIsBetter">Which end "best" means, for sorting, "best" columns and keep_best.</param>
/// <param name="Title">What a chart or column calls it.</param>
/// <param name="Unit">Shown after values and on axes; empty for a plain number.</param>
public sealed record MetricKey(string Name, MetricCadence Cadence, bool Counter, bool HigherIsBetter, string Title, string Unit = "")
{
    public bool PerEpoch => Cadence == MetricCadence.Epoch;
}

/// <summary>
/// Every metric key the trainer logs, once: the trainer, the spec validator, the runs table, the charts, compare,
/// the exports and sorting all read it here instead of keeping their own lists. A key that is not listed (logged by an
/// older version, or by a script) is still stored and shown, described by <see cref="Describe"/>.
/// </summary>
public static class MetricCatalogue
{
    public static readonly MetricKey Loss = new("loss", MetricCadence.Step, false, false, "Loss");
    public static readonly MetricKey Lr = new("lr", MetricCadence.Step, false, false, "Learning rate");
    public static readonly MetricKey BatchSize = new("batch_size", MetricCadence.Step, false, false, "Batch size", "samples");
    public static readonly MetricKey Updates = new("updates", MetricCadence.Step, true, false, "Parameter updates");
    public static readonly MetricKey Samples = new("samples", MetricCadence.Step, true, false, "Samples seen");
    public static readonly MetricKey Flops = new("flops", MetricCadence.Step, true, false, "FLOPs (cumulative)", "FLOPs");
    public static readonly MetricKey Elapsed = new("elapsed", MetricCadence.Step, true, false, "Training time", "s");

    public static readonly MetricKey TrainLoss = new("train_loss", MetricCadence.Epoch, false, false, "Training loss (epoch mean)");
    public static readonly MetricKey TrainAccuracy = new("train_accuracy", MetricCadence.Epoch, false, true, "Training accuracy");
    public static readonly MetricKey ValLoss = new("val_loss", MetricCadence.Epoch, false, false, "Validation loss");
    public static readonly MetricKey ValAccuracy = new("val_accuracy", MetricCadence.Epoch, false, true, "Validation accuracy");
    public static readonly MetricKey ValAp = new("val_ap", MetricCadence.Epoch, false, true, "Validation average precision");
    public static readonly MetricKey Distance = new("distance", MetricCadence.Epoch, false, false, "Distance to the nearest stored minimum");
    public static readonly MetricKey EpochTime = new("epoch_time", MetricCadence.Epoch, false, false, "Epoch time", "s");
    public static readonly MetricKey Epoch = new("epoch", MetricCadence.Epoch, true, false, "Epoch");

    // Sampled by the worker host every few seconds (Worker:SystemMetricsSeconds) at the run's last logged step. CPU and
    // resident memory are the worker process's: runs training in its slots at the same time share them.
    public const string SystemPrefix = "sys/";
    public static readonly MetricKey SysCpu = new("sys/cpu", MetricCadence.System, false, false, "Process CPU (100% = one core)", "%");
    public static readonly MetricKey SysRss = new("sys/rss", MetricCadence.System, false, false, "Process resident memory", "GiB");
    public static readonly MetricKey SysHostMemory = new("sys/host_mem", MetricCadence.System, false, false, "Host memory in use", "GiB");
    public static readonly MetricKey SysHostMemoryTotal = new("sys/host_mem_total", MetricCadence.System, false, false, "Host memory", "GiB");

    /// <summary>The figures sampled for each GPU a run trains on, as <c>sys/gpu{index}/{figure}</c>, with their titles and units.</summary>
    public static readonly IReadOnlyList<(string Figure, string Title, string Unit)> GpuFigures =
    [
        ("util", "utilisation", "%"), ("mem", "memory in use", "GiB"), ("mem_total", "memory", "GiB"),
        ("power", "power", "W"), ("temp", "temperature", "°C"),
    ];

    /// <summary>The key of one figure of one GPU (cuda:index): <c>sys/gpu0/util</c>.</summary>
    public static string Gpu(int index, string figure) => $"sys/gpu{index}/{figure}";

    /// <summary>In the order a researcher reaches for them (compare's key list, the run page's charts).</summary>
    public static readonly IReadOnlyList<MetricKey> All =
    [
        Loss, ValLoss, TrainLoss, ValAccuracy, TrainAccuracy, ValAp, Distance, Lr, BatchSize, EpochTime,
        Updates, Samples, Flops, Elapsed, Epoch, SysCpu, SysRss, SysHostMemory, SysHostMemoryTotal,
    ];

    private static readonly Dictionary<string, MetricKey> ByName = All.ToDictionary(k => k.Name, StringComparer.Ordinal);

    public static MetricKey? Find(string name) => ByName.GetValueOrDefault(name);

    public static bool IsKnown(string name) => ByName.ContainsKey(name);

    /// <summary>
    /// A listed key as listed; any other by its name: a per-step plain number, higher better when its name says it is
    /// an accuracy or an average precision (keys logged by scripts, or by versions before this list).
    /// </summary>
    public static MetricKey Describe(string name) => Find(name) ?? DescribeGpu(name)
        ?? new MetricKey(name, MetricCadence.Step, false, name.Contains("accuracy", StringComparison.Ordinal) || name.EndsWith("_ap", StringComparison.Ordinal), name);

    /// <summary>A sampled GPU figure (<c>sys/gpu3/power</c>: "GPU 3 power", W), or null.</summary>
    private static MetricKey? DescribeGpu(string name)
    {
        if (!name.StartsWith("sys/gpu", StringComparison.Ordinal)) return null;
        int slash = name.IndexOf('/', 7);
        if (slash < 0 || !int.TryParse(name.AsSpan(7, slash - 7), System.Globalization.NumberStyles.None, null, out int index)) return null;
        var figure = name[(slash + 1)..];
        foreach (var (f, title, unit) in GpuFigures)
            if (f == figure) return new MetricKey(name, MetricCadence.System, false, false, $"GPU {index} {title}", unit);
        return null;
    }

    public static bool IsSystem(string name) => name.StartsWith(SystemPrefix, StringComparison.Ordinal);

    public static IEnumerable<MetricKey> PerEpoch => All.Where(k => k.PerEpoch && k != Epoch);

    /// <summary>The counters, usable as x-axes besides step, epoch and time.</summary>
    public static IEnumerable<MetricKey> Counters => All.Where(k => k.Counter && k != Epoch);

    /// <summary>Orders keys as <see cref="All"/> does, unlisted ones after, by name (ordinal: both databases' collations differ).</summary>
    public static IEnumerable<string> Ordered(IEnumerable<string> keys) =>
        keys.Distinct().OrderBy(k => ByName.TryGetValue(k, out var m) ? IndexOf(m) : int.MaxValue).ThenBy(k => k, StringComparer.Ordinal);

    private static int IndexOf(MetricKey key)
    {
        for (int i = 0; i < All.Count; i++) if (ReferenceEquals(All[i], key)) return i;
        return int.MaxValue;
    }
}
