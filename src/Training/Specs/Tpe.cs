using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dashboard.Training.Specs;

public enum TpeDistribution { Uniform, LogUniform, IntUniform, IntLogUniform, Choice }

/// <summary>
/// One dimension of TPE's search space, at a dotted key of the spec: a float range (uniform or log-uniform), a whole
/// number range (uniform or log-uniform) or a list of choices (any JSON values). <see cref="Sweeps.SearchSpace"/> reads
/// a sweep's parameters into these.
/// </summary>
public sealed record TpeParameter
{
    public string Key { get; }
    public TpeDistribution Distribution { get; }
    public double Min { get; }
    public double Max { get; }
    public IReadOnlyList<JsonNode?> Choices { get; }

    private TpeParameter(string key, TpeDistribution distribution, double min, double max, IReadOnlyList<JsonNode?>? choices)
    {
        Key = key;
        Distribution = distribution;
        Min = min;
        Max = max;
        Choices = choices ?? [];
    }

    public static TpeParameter Uniform(string key, double min, double max) => Range(key, TpeDistribution.Uniform, min, max);
    public static TpeParameter LogUniform(string key, double min, double max) => Range(key, TpeDistribution.LogUniform, min, max);
    public static TpeParameter IntUniform(string key, long min, long max) => Range(key, TpeDistribution.IntUniform, min, max);
    public static TpeParameter IntLogUniform(string key, long min, long max) => Range(key, TpeDistribution.IntLogUniform, min, max);

    public static TpeParameter Choice(string key, params IReadOnlyList<JsonNode?> choices)
    {
        if (choices.Count == 0) throw new ArgumentException($"{key}: give at least one choice", nameof(choices));
        return new TpeParameter(key, TpeDistribution.Choice, 0, 0, [.. choices.Select(c => c?.DeepClone())]);
    }

    private static TpeParameter Range(string key, TpeDistribution distribution, double min, double max)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max) || min > max) throw new ArgumentException($"{key}: needs finite min <= max");
        if (distribution is TpeDistribution.LogUniform && min <= 0) throw new ArgumentException($"{key}: a log-uniform range needs min > 0");
        // Whole numbers n are drawn on the log axis from [n_min - 0.5, n_max + 0.5] and rounded: n_min must be at least 1.
        if (distribution is TpeDistribution.IntLogUniform && min < 1) throw new ArgumentException($"{key}: a whole-number log-uniform range needs min >= 1");
        return new TpeParameter(key, distribution, min, max, null);
    }

    internal bool IsInteger => Distribution is TpeDistribution.IntUniform or TpeDistribution.IntLogUniform;
    internal bool IsLog => Distribution is TpeDistribution.LogUniform or TpeDistribution.IntLogUniform;

    /// <summary>The axis TPE's densities live on: the logarithm for log ranges; whole numbers n own [n - 0.5, n + 0.5].</summary>
    internal (double Low, double High) InternalBounds
    {
        get
        {
            double low = IsInteger ? Min - 0.5 : Min, high = IsInteger ? Max + 0.5 : Max;
            return IsLog ? (Math.Log(low), Math.Log(high)) : (low, high);
        }
    }

    internal double ToInternal(double value) => IsLog ? Math.Log(value) : value;

    /// <summary>A point of the internal axis as the value a run gets: rounded for whole numbers, kept inside the range.</summary>
    internal double FromInternal(double x)
    {
        double v = IsLog ? Math.Exp(x) : x;
        if (IsInteger) v = Math.Round(v, MidpointRounding.AwayFromZero);
        return Math.Clamp(v, Min, Max);
    }
}

/// <summary>A finished trial: the values its run was given (a run's Params) and its objective (NaN for a failed run).</summary>
public sealed record TpeTrial(IReadOnlyDictionary<string, JsonNode?> Params, double Value);

/// <param name="Startup">Trials proposed at random before the model is used (hyperopt's and Optuna's n_startup_trials).</param>
/// <param name="Gamma">The fraction of finished trials that make the good group: ceil(gamma * n) of them.</param>
/// <param name="Candidates">Draws from l(x) per parameter, of which the one with the largest l(x)/g(x) is proposed.</param>
public sealed record TpeOptions(int Startup = 10, double Gamma = 0.25, int Candidates = 24);

/// <summary>The <paramref name="Index"/>-th run of a sweep as TPE proposes it; <paramref name="FromModel"/> false: drawn at random (startup).</summary>
public sealed record TpeProposal(int Index, IReadOnlyDictionary<string, JsonNode?> Params, bool FromModel);

/// <summary>
/// The tree-structured Parzen estimator (Bergstra, Bardenet, Bengio and Kégl 2011, "Algorithms for Hyper-Parameter
/// Optimization", NeurIPS; the defaults as hyperopt and Optuna). Instead of modelling the objective y given the
/// parameters x, TPE models x given y: it splits the finished trials at the gamma quantile y* of their objectives into
/// good (y &lt; y*) and bad, fits a density to each, l(x) and g(x), and proposes the x with the largest l(x)/g(x) among
/// candidates drawn from l, which maximises the expected improvement over y* (the paper's equation 6). Each parameter
/// is modelled and chosen on its own, as hyperopt does; a trial that lacks a key (a parameter that did not apply to its
/// run) adds nothing to that key's densities, which is what the "tree" of conditional parameters comes to here.
///
/// A proposal is a function of its inputs alone: the trials, the pending runs and the seed; so a restarted process
/// proposes the same run again. Its index, the number of trials proposed before it (finished + pending), keys its
/// random streams, so that runs proposed at once in parallel differ.
///
/// Pending runs (running, with no objective yet) are counted as bad trials (Optuna's "constant liar": each is taken to
/// end worse than all the good ones), which lowers l/g where they are, so that parallel proposals spread out instead of
/// all landing on the current best guess. In a small discrete space l/g can still pick the configuration of a pending
/// run (the model's argmax does not move for one more bad count): a proposal equal in every parameter to a pending run
/// is replaced by a random draw from the next stream, up to <see cref="MaxRedraws"/> times (FromModel false then);
/// if every draw is pending too, the model's choice is proposed. A repeat of a finished trial is left to the model: with
/// a noisy objective, training the best configuration again can be the best use of a run.
/// </summary>
public static class Tpe
{
    public const int MaxRedraws = 16;

    /// <param name="space">The parameters to choose; the proposal has a value for each.</param>
    /// <param name="finished">Every finished trial of the sweep, failed ones included (value NaN, counted as worst).</param>
    /// <param name="pending">The Params of every trial proposed before that has no objective yet.</param>
    /// <param name="maximise">true: larger objectives are better.</param>
    public static TpeProposal Propose(IReadOnlyList<TpeParameter> space, IReadOnlyList<TpeTrial> finished,
        IReadOnlyList<IReadOnlyDictionary<string, JsonNode?>> pending, bool maximise, long seed, TpeOptions? options = null)
    {
        options ??= new TpeOptions();
        if (options.Startup < 0 || !(options.Gamma > 0 && options.Gamma <= 1) || options.Candidates < 1)
            throw new ArgumentException("TPE needs startup >= 0, 0 < gamma <= 1 and at least one candidate", nameof(options));
        if (space.Select(p => p.Key).Distinct(StringComparer.Ordinal).Count() != space.Count)
            throw new ArgumentException("each key once in the search space", nameof(space));
        int index = finished.Count + pending.Count;

        // Lower score is better; not finite (a failed run, a diverged loss) is worst. Ties keep the trials' order.
        var ranked = finished.Select((t, i) => (t.Params, Score: Score(t.Value, maximise), i)).OrderBy(t => t.Score).ThenBy(t => t.i).ToList();
        int finite = ranked.Count(t => double.IsFinite(t.Score));
        bool fromModel = finished.Count >= Math.Max(1, options.Startup) && finite > 0;
        int nGood = Math.Min(finite, Math.Max(1, (int)Math.Ceiling(options.Gamma * finished.Count)));
        var good = ranked.Take(nGood).Select(t => t.Params).ToList();
        var bad = ranked.Skip(nGood).Select(t => t.Params).Concat(pending).ToList();

        // Attempt 0 is the model's choice (or the startup draw); a further attempt is a random draw from its own stream.
        Dictionary<string, JsonNode?>? first = null;
        for (int attempt = 0; attempt <= MaxRedraws; attempt++)
        {
            bool model = fromModel && attempt == 0;
            var proposal = new Dictionary<string, JsonNode?>();
            foreach (var p in space)
            {
                var rng = new SeededStream(seed, index, SeededStream.Hash(p.Key), attempt);
                proposal[p.Key] = model ? FromModel(p, good, bad, options.Candidates, rng) : AtRandom(p, rng);
            }
            if (!pending.Any(other => Same(space, proposal, other))) return new TpeProposal(index, proposal, model);
            first ??= proposal;
        }
        return new TpeProposal(index, first!, fromModel);
    }

    private static double Score(double value, bool maximise) => !double.IsFinite(value) ? double.PositiveInfinity : maximise ? -value : value;

    /// <summary>The startup draws, and random search: uniform on the parameter's axis (log axis for log ranges).</summary>
    private static JsonNode? AtRandom(TpeParameter p, SeededStream rng)
    {
        if (p.Distribution == TpeDistribution.Choice) return p.Choices[rng.Next(p.Choices.Count)]?.DeepClone();
        var (low, high) = p.InternalBounds;
        return Value(p, p.FromInternal(low + rng.NextDouble() * (high - low)));
    }

    private static JsonNode? FromModel(TpeParameter p, List<IReadOnlyDictionary<string, JsonNode?>> good,
        List<IReadOnlyDictionary<string, JsonNode?>> bad, int candidates, SeededStream rng)
    {
        if (p.Distribution == TpeDistribution.Choice) return p.Choices[BestChoice(p, good, bad, candidates, rng)]?.DeepClone();
        if (p.Min == p.Max) return Value(p, p.Min);

        var (low, high) = p.InternalBounds;
        var l = new ParzenEstimator(Observations(p, good), low, high);
        var g = new ParzenEstimator(Observations(p, bad), low, high);
        double best = double.NaN, bestRatio = double.NegativeInfinity;
        for (int c = 0; c < candidates; c++)
        {
            // Judged where the run would be: a whole number's own point, not the fraction drawn.
            double v = p.FromInternal(l.Sample(rng)), x = p.ToInternal(v);
            double ratio = l.LogDensity(x) - g.LogDensity(x);
            if (ratio > bestRatio) (best, bestRatio) = (v, ratio);
        }
        return Value(p, best);
    }

    /// <summary>
    /// A choice's density is its smoothed frequency in the group, (count + 1) / (n + K) as hyperopt's prior weight 1
    /// gives: a choice never tried keeps a chance, and one bad trial does not rule a choice out.
    /// </summary>
    private static int BestChoice(TpeParameter p, List<IReadOnlyDictionary<string, JsonNode?>> good,
        List<IReadOnlyDictionary<string, JsonNode?>> bad, int candidates, SeededStream rng)
    {
        int k = p.Choices.Count;
        double[] l = Frequencies(p, good), g = Frequencies(p, bad);
        int best = 0;
        double bestRatio = double.NegativeInfinity;
        for (int c = 0; c < candidates; c++)
        {
            double u = rng.NextDouble(), cumulative = 0;
            int drawn = k - 1;
            for (int j = 0; j < k; j++)
                if (u < (cumulative += l[j])) { drawn = j; break; }
            double ratio = Math.Log(l[drawn]) - Math.Log(g[drawn]);
            if (ratio > bestRatio) (best, bestRatio) = (drawn, ratio);
        }
        return best;
    }

    private static double[] Frequencies(TpeParameter p, List<IReadOnlyDictionary<string, JsonNode?>> trials)
    {
        var counts = Enumerable.Repeat(1.0, p.Choices.Count).ToArray();
        foreach (var t in trials)
            if (t.TryGetValue(p.Key, out var v) && IndexOf(p, v) is int j && j >= 0) counts[j]++;
        double total = counts.Sum();
        return [.. counts.Select(c => c / total)];
    }

    private static int IndexOf(TpeParameter p, JsonNode? value)
    {
        for (int j = 0; j < p.Choices.Count; j++)
            if (SameValue(p.Choices[j], value)) return j;
        return -1;
    }

    /// <summary>The group's values of a numeric parameter on its internal axis; a value outside the range (an edited space) is left out.</summary>
    private static List<double> Observations(TpeParameter p, List<IReadOnlyDictionary<string, JsonNode?>> trials)
    {
        var values = new List<double>();
        foreach (var t in trials)
            if (t.TryGetValue(p.Key, out var node) && Number(node) is { } v && v >= p.Min && v <= p.Max)
                values.Add(p.ToInternal(v));
        return values;
    }

    private static double? Number(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.Number
        && double.TryParse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : null;

    private static JsonNode Value(TpeParameter p, double v) =>
        p.IsInteger ? JsonValue.Create((long)v) : JsonValue.Create(Math.Clamp(Tidy(v), p.Min, p.Max));

    /// <summary>12 significant digits, as a random sweep's values: 0.0031622776601683794 reads 0.00316227766017.</summary>
    private static double Tidy(double v) => double.Parse(v.ToString("G12", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static bool Same(IReadOnlyList<TpeParameter> space, IReadOnlyDictionary<string, JsonNode?> a, IReadOnlyDictionary<string, JsonNode?> b) =>
        space.All(p => a.TryGetValue(p.Key, out var x) && b.TryGetValue(p.Key, out var y) && SameValue(x, y));

    private static bool SameValue(JsonNode? x, JsonNode? y) =>
        Number(x) is { } u && Number(y) is { } v ? u == v : JsonNode.DeepEquals(x, y);
}
