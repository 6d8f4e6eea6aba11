using System.Globalization;
using System.Text.Json.Serialization;

namespace Dashboard.Training.Specs;

/// <summary>
/// A sweep's <c>early_stop</c> block for asynchronous successive halving (ASHA: Li et al. 2018, "A System for Massively
/// Parallel Hyperparameter Tuning", arXiv:1810.05934), e.g.
/// <c>{"type": "asha", "metric": "val_loss", "mode": "min", "min_epochs": 1, "reduction_factor": 3, "max_epochs": 27}</c>.
/// Runs are judged at the rungs: epochs min_epochs * reduction_factor^k up to max_epochs.
/// </summary>
public sealed record AshaSpec
{
    public string Type { get; init; } = "asha";
    /// <summary>The epoch metric the runs are compared by.</summary>
    public string Metric { get; init; } = "val_loss";
    /// <summary>max or min; null picks max for accuracies and average precision, min otherwise (as checkpoint.mode).</summary>
    public string? Mode { get; init; }
    /// <summary>r: the first rung, the epochs every run gets.</summary>
    public int MinEpochs { get; init; } = 1;
    /// <summary>eta: a rung keeps the top 1/eta of its runs, and the next rung is eta times as many epochs on.</summary>
    public int ReductionFactor { get; init; } = 3;
    /// <summary>R: the epochs a run that is never stopped trains for (the runs' max_epochs).</summary>
    public int MaxEpochs { get; init; }

    [JsonIgnore] public bool Maximise => Mode is null ? Dashboard.Data.Metrics.MetricCatalogue.Describe(Metric).HigherIsBetter : Mode == "max";

    /// <summary>
    /// The rungs' epochs: r, r*eta, r*eta^2, ... up to R. A rung at R itself (when R is r*eta^k) stops nothing: a run
    /// there has finished anyway; it is listed so that the sweep page can show who got that far.
    /// </summary>
    [JsonIgnore]
    public IReadOnlyList<int> RungEpochs
    {
        get
        {
            var epochs = new List<int>();
            if (MinEpochs < 1 || ReductionFactor < 2) return epochs;
            for (long e = MinEpochs; e <= MaxEpochs; e *= ReductionFactor) epochs.Add((int)e);
            return epochs;
        }
    }

    /// <summary>Problems reported against <paramref name="field"/> (e.g. "sweep.early_stop"), as the spec validator does.</summary>
    public void Validate(string field, SpecErrors e)
    {
        if (Type != "asha") e.Add($"{field}.type", "must be asha");
        if (!SpecValidator.EpochMetrics.Contains(Metric)) e.Add($"{field}.metric", $"unknown metric '{Metric}'; one of {string.Join(", ", SpecValidator.EpochMetrics)}");
        if (Mode is not (null or "max" or "min")) e.Add($"{field}.mode", "must be max or min");
        if (MinEpochs < 1) e.Add($"{field}.min_epochs", "must be at least 1");
        if (ReductionFactor < 2) e.Add($"{field}.reduction_factor", "must be at least 2 (a rung keeps the top 1/reduction_factor)");
        if (MaxEpochs < 1 || MaxEpochs > SpecValidator.MaxEpochs) e.Add($"{field}.max_epochs", $"must be between 1 and {SpecValidator.MaxEpochs:N0}");
        else if (MinEpochs >= 1 && MaxEpochs <= MinEpochs)
            e.Add($"{field}.max_epochs", "must exceed min_epochs, or no run could be stopped before its end");
    }
}

/// <summary>
/// A stored value of the sweep's metric: a run's <paramref name="Value"/> at the end of <paramref name="Epoch"/>.
/// <paramref name="Order"/> is anything that grows with the time it was stored (the metric row's time in ticks, or a
/// sequence number): a run is judged at a rung against the values stored there no later than its own, so that the
/// decision is the one that was due when it arrived, whenever it is recomputed.
/// </summary>
public readonly record struct EpochValue(int Epoch, double Value, long Order);

/// <summary>
/// What a rung decided for one run. <paramref name="Epoch"/> is the epoch of the value it was judged on (the rung's
/// epoch when the metric is stored every epoch); <paramref name="Kept"/> is floor(n/eta), the places above the cut-off,
/// and <paramref name="Cutoff"/> the worst value that keeps its place (null when fewer than eta runs were there to compare).
/// </summary>
public sealed record AshaDecision(string RunId, int Rung, int RungEpoch, int Epoch, double Value, bool Stop,
    int RunsAtRung, int Kept, double? Cutoff, string Reason)
{
    /// <summary>The run's end status text when stopped: "stopped early at epoch 3 (rung 1)".</summary>
    public string? StoppedText => Stop ? $"stopped early at epoch {Epoch} (rung {Rung})" : null;
}

/// <summary>One rung for the sweep page: its runs in the order they reached it, each with what was decided and why.</summary>
public sealed record AshaRung(int Index, int Epoch, bool Last, IReadOnlyList<AshaDecision> Runs)
{
    public IEnumerable<AshaDecision> Continued => Runs.Where(r => !r.Stop);
    public IEnumerable<AshaDecision> Stopped => Runs.Where(r => r.Stop);
}

/// <summary>
/// ASHA's decisions, computed from the sweep's stored metric values alone: no state is kept between calls, so that a
/// restarted web node or worker recomputes exactly what was decided before.
///
/// The rule. Li et al.'s ASHA (Algorithm 2) promotes: a configuration in rung k moves up when it is in the top
/// floor(n/eta) of the n configurations in rung k, and a worker with nothing to promote starts a new configuration,
/// so no worker waits. Here a run is one job that trains on (pausing and resuming it would cost a checkpoint reload and a
/// slot), so we use the paper's stopping variant, as Ray Tune's ASHA scheduler and Optuna's SuccessiveHalvingPruner do:
/// a run is judged once, when it reaches a rung, against the n runs whose value at that rung was stored no later than
/// its own (itself included); it continues if its value is no worse than the cut-off, the floor(n/eta)-th best of those
/// values (a tie continues), and is stopped otherwise. While fewer than eta runs have reached the rung the run continues:
/// there is no top 1/eta of fewer than eta values, and an asynchronous run must not wait for company. The paper would
/// promote nothing then; Ray Tune stops a run worse than the (1-1/eta) percentile of even one earlier value, and Optuna
/// keeps only the best so far: both stop runs on one or two samples, which costs the early runs of a sweep their chance
/// for the compute of a few epochs saved. The price of deciding at arrival is the paper's: a run judged early, against
/// few, can continue where a later judgement would have stopped it; it is bounded by eta-1 runs per rung and vanishes as
/// the rung fills.
///
/// NaN and ±Inf count as worse than every finite value: they never take a place above the cut-off when eta or more runs
/// are compared (the trainer ends a run whose validation loss is not finite on its own, as diverged).
/// </summary>
public static class Asha
{
    /// <summary>
    /// What is decided for <paramref name="runId"/>: at the first rung it was stopped at, or else at the highest rung it
    /// has reached (continue); null before it reaches the first rung. Call it after each of the run's epochs is stored;
    /// a run that was stopped keeps its decision however many values are stored after it.
    /// </summary>
    /// <param name="runs">Every run of the sweep: its stored values of <see cref="AshaSpec.Metric"/> by epoch.</param>
    public static AshaDecision? Decide(AshaSpec spec, IReadOnlyDictionary<string, IReadOnlyList<EpochValue>> runs, string runId)
    {
        AshaDecision? last = null;
        foreach (var rung in Rungs(spec, runs))
        {
            var mine = rung.Runs.FirstOrDefault(d => d.RunId == runId);
            if (mine is null) break;
            last = mine;
            if (mine.Stop) break;
        }
        return last;
    }

    /// <summary>
    /// Every rung with the runs that reached it so far, in the order they did, and what was decided for each. A run
    /// counts at a rung only if the rung below let it continue: a run stopped at rung k that trained an epoch or two more
    /// before the stop reached it does not enter rung k+1.
    /// </summary>
    public static IReadOnlyList<AshaRung> Rungs(AshaSpec spec, IReadOnlyDictionary<string, IReadOnlyList<EpochValue>> runs)
    {
        var errors = new SpecErrors();
        spec.Validate("early_stop", errors);
        if (errors.Any) throw new InvalidSpecException(errors);

        var epochs = spec.RungEpochs;
        int eta = spec.ReductionFactor;
        // The runs in ordinal order of their ids, so that neither the dictionary's order nor a tie depends on how it was built.
        var candidates = runs.Keys.Order(StringComparer.Ordinal).ToList();
        var result = new List<AshaRung>(epochs.Count);
        for (int k = 0; k < epochs.Count; k++)
        {
            bool last = epochs[k] >= spec.MaxEpochs;
            var arrivals = new List<(string Run, EpochValue Point)>();
            foreach (var id in candidates)
                if (ValueAt(runs[id], epochs[k]) is { } point) arrivals.Add((id, point));
            // Reaching the rung is storing the value: earlier values first; the same order (one batch) by run id.
            arrivals.Sort((a, b) => a.Point.Order != b.Point.Order ? a.Point.Order.CompareTo(b.Point.Order) : string.CompareOrdinal(a.Run, b.Run));

            var decisions = new List<AshaDecision>(arrivals.Count);
            var seen = new List<double>(arrivals.Count); // scores so far, sorted: lower is better
            for (int i = 0; i < arrivals.Count;)
            {
                // Values stored at the same Order arrived together: each is judged against all of them.
                int j = i;
                while (j < arrivals.Count && arrivals[j].Point.Order == arrivals[i].Point.Order) Insert(seen, Score(arrivals[j++].Point.Value, spec.Maximise));
                for (; i < j; i++)
                    decisions.Add(Judge(spec, k, epochs[k], last, arrivals[i].Run, arrivals[i].Point, seen, eta));
            }
            result.Add(new AshaRung(k, epochs[k], last, decisions));
            candidates = decisions.Where(d => !d.Stop).Select(d => d.RunId).Order(StringComparer.Ordinal).ToList();
        }
        return result;
    }

    private static AshaDecision Judge(AshaSpec spec, int rung, int rungEpoch, bool last, string run, EpochValue point, List<double> seen, int eta)
    {
        int n = seen.Count;
        string value = $"{spec.Metric} {Format(point.Value)}";
        if (last)
            return new AshaDecision(run, rung, rungEpoch, point.Epoch, point.Value, false, n, n, null,
                $"{value}: reached max_epochs ({spec.MaxEpochs}), the last rung");
        if (n < eta)
            return new AshaDecision(run, rung, rungEpoch, point.Epoch, point.Value, false, n, n, null,
                $"{value}: {n} run{(n == 1 ? "" : "s")} at rung {rung}, fewer than {eta} to compare; continues");
        int kept = n / eta;
        double cutoffScore = seen[kept - 1];
        double score = Score(point.Value, spec.Maximise);
        bool stop = !double.IsFinite(point.Value) || score > cutoffScore;
        double cutoff = spec.Maximise ? -cutoffScore : cutoffScore;
        // A cut-off that is itself not finite (most values diverged) is shown as such, not as ±Infinity of the score.
        string shownCutoff = double.IsFinite(cutoffScore) ? Format(cutoff) : "not finite";
        string top = $"the top 1/{eta} ({kept} of {n} runs) at rung {rung} (cut-off {shownCutoff})";
        return new AshaDecision(run, rung, rungEpoch, point.Epoch, point.Value, stop, n, kept,
            double.IsFinite(cutoffScore) ? cutoff : null, stop ? $"{value} not in {top}" : $"{value} in {top}");
    }

    /// <summary>
    /// The value a run reached a rung with: the first stored at or after the rung's epoch (the rung's own epoch when the
    /// metric is stored every epoch; a later one when it is stored less often). Of two values stored for one epoch (a
    /// run resumed from a checkpoint repeats epochs) the first counts, so that a resume changes no decision.
    /// </summary>
    private static EpochValue? ValueAt(IReadOnlyList<EpochValue> values, int epoch)
    {
        EpochValue? best = null;
        foreach (var v in values)
            if (v.Epoch >= epoch && (best is not { } b || v.Epoch < b.Epoch || (v.Epoch == b.Epoch && v.Order < b.Order)))
                best = v;
        return best;
    }

    /// <summary>Lower is better; every value that is not finite is the worst, and they tie.</summary>
    private static double Score(double value, bool maximise) =>
        !double.IsFinite(value) ? double.PositiveInfinity : maximise ? -value : value;

    private static void Insert(List<double> sorted, double score)
    {
        int at = sorted.BinarySearch(score);
        sorted.Insert(at < 0 ? ~at : at, score);
    }

    private static string Format(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}
