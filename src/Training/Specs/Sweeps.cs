using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dashboard.Training.Specs;

/// <summary>
/// A spec's "sweep" block: the runs it stands for are the spec with each combination (grid) or each draw (random)
/// of values set at dotted keys, e.g. <c>{"method": "grid", "parameters": {"optimizer.lr": [0.01, 0.1], "seed": [0, 1]}}</c>.
/// A parameter is a list of values; <c>{"values": [...]}</c>; or a range <c>{"min", "max", "distribution", "num"}</c>
/// with distribution uniform, log_uniform (for learning rates) or int_uniform (every whole number from min to max in a
/// grid); a grid over a uniform or log-uniform range takes <c>num</c> evenly (or geometrically) spaced values.
/// </summary>
public sealed record SweepSpec
{
    public string Method { get; init; } = "grid";
    /// <summary>random: how many runs to draw.</summary>
    public int? Count { get; init; }
    /// <summary>random: seed of the draws (default: the spec's seed), so that a preview shows the runs a launch makes;
    /// grid with shuffle, and tpe: seed of their order and draws.</summary>
    public long? Seed { get; init; }
    /// <summary>
    /// grid: queue the combinations in a seeded random order instead of the grid's. Asynchronous early stopping judges a
    /// run against those that reached its rung before it; in the grid's order those are its first corner (the smallest
    /// models first, say), which every later run beats, so nothing would be stopped.
    /// </summary>
    public bool Shuffle { get; init; }
    public Dictionary<string, JsonElement> Parameters { get; init; } = [];
    /// <summary>tpe: how many runs in all, proposed one after another from the finished ones.</summary>
    public int? Budget { get; init; }
    /// <summary>tpe: how many of its runs train (or wait to) at a time; default 1.</summary>
    public int? Parallel { get; init; }
    /// <summary>tpe: the epoch metric a run is judged by (its last value, as Optuna ranks a pruned trial); default the early_stop metric, else val_loss.</summary>
    public string? Metric { get; init; }
    /// <summary>tpe: max or min; null picks max for accuracies and average precision, min otherwise.</summary>
    public string? Mode { get; init; }
    /// <summary>Any method: stop runs that fall behind at the rungs (ASHA).</summary>
    public AshaSpec? EarlyStop { get; init; }

    public static readonly string[] Methods = ["grid", "random", "tpe"];

    /// <summary>The metric TPE ranks its runs by.</summary>
    [System.Text.Json.Serialization.JsonIgnore] public string Objective => Metric ?? EarlyStop?.Metric ?? "val_loss";

    [System.Text.Json.Serialization.JsonIgnore]
    public bool Maximise => Mode is null ? Dashboard.Data.Metrics.MetricCatalogue.Describe(Objective).HigherIsBetter : Mode == "max";

    /// <summary>TPE's runs at a time.</summary>
    [System.Text.Json.Serialization.JsonIgnore] public int ParallelRuns => Math.Min(Parallel ?? 1, Budget ?? 1);
    public static readonly string[] Distributions = ["uniform", "log_uniform", "int_uniform"];
    /// <summary>Far above the notes' largest grid (width x depth x size x seeds, a few hundred runs).</summary>
    public const int MaxRuns = 2000;
}

/// <summary>One run of an experiment: its spec, and the values its sweep set (empty for a single run).</summary>
public sealed record PlannedRun(ExperimentSpec Spec, IReadOnlyDictionary<string, JsonNode?> Params)
{
    /// <summary>tpe: the proposal's place in the sweep (0, 1, ...) and whether the model or a random draw made it.</summary>
    public int? SweepIndex { get; init; }
    public string? ProposedBy { get; init; }
    /// <summary>tpe: why this proposal cannot train (the values it drew make a spec the rules refuse); its
    /// <see cref="Spec"/> is then the sweep's base spec. Null: it can.</summary>
    public SpecErrors? Refused { get; init; }

    public string ParamsJson() => new JsonObject(Params.Select(kv => KeyValuePair.Create(kv.Key, kv.Value?.DeepClone()))).ToJsonString();
}

public static class Sweeps
{
    /// <summary>The runs a spec stands for; a bad sweep throws <see cref="InvalidSpecException"/> naming the parameter.</summary>
    public static IReadOnlyList<PlannedRun> Expand(ExperimentSpec spec)
    {
        if (spec.Sweep is not { } sweep) return [new PlannedRun(spec, new Dictionary<string, JsonNode?>())];
        var errors = new SpecErrors();
        sweep = Complete(spec).Sweep!;
        var dimensions = Dimensions(sweep, spec, errors);
        if (errors.Any) throw new InvalidSpecException(errors);
        if (sweep.Method == "tpe") return FirstProposals(spec, sweep);

        var random = new Random(unchecked((int)(sweep.Seed ?? spec.Seed)));
        var assignments = sweep.Method == "grid" ? Grid(dimensions) : Draw(dimensions, sweep.Count!.Value, random);
        if (sweep.Method == "grid" && sweep.Shuffle) random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(assignments));
        // Every field, so that a sweep over model.name keeps what the spec gives for each kind (the cnn's width).
        var baseJson = JsonNode.Parse(SpecJson.SerializeAll(spec with { Sweep = null }))!.AsObject();
        var runs = new List<PlannedRun>(assignments.Count);
        foreach (var assignment in assignments)
        {
            var json = baseJson.DeepClone().AsObject();
            foreach (var (key, value) in assignment) Set(json, key, value?.DeepClone());
            try
            {
                var run = SpecJson.Parse(json.ToJsonString());
                // A value at a key that does not apply to this run (model.width of an MLP) changed nothing: it is not
                // one of the run's parameters, so filters and group-by do not see it.
                runs.Add(new PlannedRun(run, assignment.Where(kv => SpecApplicability.Applies(run, kv.Key)).ToDictionary()));
            }
            catch (InvalidSpecException e)
            {
                Report(e.Errors, assignment, errors);
                // One bad value fails most of the grid the same way; the first few say what is wrong.
                if (errors.Fields.Count() >= 8) break;
            }
        }
        // A key that applies to none of the runs (model.width over MLPs) would make identical runs: say so at the key.
        if (!errors.Any)
            foreach (var key in sweep.Parameters.Keys.Where(k => !runs.Any(r => r.Params.ContainsKey(k))))
                errors.Add($"sweep.parameters.{key}", $"applies to none of the runs: {key} is used by {string.Join(", ", SpecApplicability.KindsOf(key) ?? [])} only");
        if (errors.Any) throw new InvalidSpecException(errors);
        return runs;
    }

    /// <summary>The spec with its early_stop's max_epochs filled in from the runs' max_epochs when left out.</summary>
    public static ExperimentSpec Complete(ExperimentSpec spec) =>
        spec.Sweep is { EarlyStop: { MaxEpochs: 0 } stop } sweep
            ? spec with { Sweep = sweep with { EarlyStop = stop with { MaxEpochs = spec.MaxEpochs } } }
            : spec;

    /// <summary>
    /// TPE's first <see cref="SweepSpec.ParallelRuns"/> runs: nothing has finished, so they are its startup draws, each
    /// proposed with the ones before it pending, as the proposals after them will be.
    /// </summary>
    private static IReadOnlyList<PlannedRun> FirstProposals(ExperimentSpec spec, SweepSpec sweep)
    {
        // Later proposals are made as runs end, where a bad value could only stall the sweep: every choice and both
        // ends of every range are tried now, so that a value the spec refuses is answered at its parameter at launch.
        var errors = new SpecErrors();
        foreach (var p in SearchSpace(sweep))
        {
            IEnumerable<JsonNode?> values = p.Distribution == TpeDistribution.Choice ? p.Choices
                : p.IsInteger ? [JsonValue.Create((long)p.Min), JsonValue.Create((long)p.Max)]
                : [JsonValue.Create(p.Min), JsonValue.Create(p.Max)];
            foreach (var value in values)
            {
                try { Build(spec, new Dictionary<string, JsonNode?> { [p.Key] = value?.DeepClone() }); }
                catch (InvalidSpecException e)
                {
                    foreach (var (field, messages) in e.Errors.ToDictionary()) foreach (var m in messages) errors.Add(field, m);
                    break;
                }
            }
        }
        if (errors.Any) throw new InvalidSpecException(errors);
        var runs = new List<PlannedRun>();
        for (int i = 0; i < sweep.ParallelRuns; i++)
        {
            var run = Propose(spec, sweep, [], [.. runs.Select(r => r.Params)]);
            if (run.Refused is { } refused) throw new InvalidSpecException(refused);
            runs.Add(run);
        }
        return runs;
    }

    /// <summary>
    /// The next run of a tpe sweep, given every earlier run: those finished with their objective (NaN: failed, or no
    /// value of the metric), and the rest pending. Its index is their number, so that a proposal made again (a job run
    /// twice, a process restarted) is made for the same place. A proposal whose values make a bad spec comes back
    /// <see cref="PlannedRun.Refused"/>, with its values, so that it can be shown and counted as a failed trial: thrown,
    /// it would be drawn again the same way at every retry, and the sweep would stop there.
    /// </summary>
    public static PlannedRun Propose(ExperimentSpec spec, SweepSpec sweep, IReadOnlyList<TpeTrial> finished,
        IReadOnlyList<IReadOnlyDictionary<string, JsonNode?>> pending)
    {
        // Optuna's and hyperopt's 10 (20) random trials before the model would leave a small budget to random search:
        // at most a third of it, at least 2 (the model needs a good and a bad group), at most 10.
        int startup = Math.Clamp((sweep.Budget ?? 0) / 3, 2, 10);
        var proposal = Tpe.Propose(SearchSpace(sweep), finished, pending, sweep.Maximise, sweep.Seed ?? spec.Seed, new TpeOptions(Startup: startup));
        var by = proposal.FromModel ? "tpe" : "random";
        try { return Build(spec, proposal.Params) with { SweepIndex = proposal.Index, ProposedBy = by }; }
        catch (InvalidSpecException e)
        {
            return new PlannedRun(spec, proposal.Params) { SweepIndex = proposal.Index, ProposedBy = by, Refused = e.Errors };
        }
    }

    /// <summary>The spec with one assignment of the sweep's values set, and the values that apply to it.</summary>
    private static PlannedRun Build(ExperimentSpec spec, IReadOnlyDictionary<string, JsonNode?> assignment)
    {
        var json = JsonNode.Parse(SpecJson.SerializeAll(spec with { Sweep = null }))!.AsObject();
        foreach (var (key, value) in assignment) Set(json, key, value?.DeepClone());
        try
        {
            var run = SpecJson.Parse(json.ToJsonString());
            return new PlannedRun(run, assignment.Where(kv => SpecApplicability.Applies(run, kv.Key)).ToDictionary());
        }
        catch (InvalidSpecException e)
        {
            var errors = new SpecErrors();
            Report(e.Errors, assignment, errors);
            throw new InvalidSpecException(errors);
        }
    }

    /// <summary>
    /// A sweep's parameters as TPE's search space, read as a random sweep reads them: a list (or a single value) is a
    /// choice, a range is drawn from its distribution. A bad parameter throws <see cref="InvalidSpecException"/> naming it.
    /// </summary>
    public static IReadOnlyList<TpeParameter> SearchSpace(SweepSpec sweep)
    {
        var errors = new SpecErrors();
        var space = new List<TpeParameter>();
        foreach (var (key, element) in sweep.Parameters)
        {
            if (Parse(element, grid: false, out var message) is not { } dim) { errors.Add($"sweep.parameters.{key}", message!); continue; }
            space.Add(dim.Values is { } values ? TpeParameter.Choice(key, values) : dim.Distribution switch
            {
                "log_uniform" => TpeParameter.LogUniform(key, dim.Min, dim.Max),
                "int_uniform" => TpeParameter.IntUniform(key, (long)dim.Min, (long)dim.Max),
                _ => TpeParameter.Uniform(key, dim.Min, dim.Max),
            });
        }
        if (errors.Any) throw new InvalidSpecException(errors);
        return space;
    }

    /// <summary>The number of runs, checked without building them, for the form's preview and the size limit.</summary>
    private static List<(string Key, Dimension Values)> Dimensions(SweepSpec sweep, ExperimentSpec spec, SpecErrors errors)
    {
        var dims = new List<(string, Dimension)>();
        if (!SweepSpec.Methods.Contains(sweep.Method)) errors.Add("sweep.method", "must be grid, random or tpe");
        if (sweep.EarlyStop is { } stop)
        {
            stop.Validate("sweep.early_stop", errors);
            if (stop.MaxEpochs > spec.MaxEpochs)
                errors.Add("sweep.early_stop.max_epochs", $"{stop.MaxEpochs} exceeds the runs' max_epochs ({spec.MaxEpochs}): no run would reach the last rungs");
        }
        if (sweep.Method == "tpe")
        {
            if (sweep.Budget is not { } budget || budget < 1 || budget > SweepSpec.MaxRuns)
                errors.Add("sweep.budget", $"a tpe sweep needs a budget, the runs in all, between 1 and {SweepSpec.MaxRuns}");
            if (sweep.Parallel is { } parallel && (parallel < 1 || parallel > (sweep.Budget ?? SweepSpec.MaxRuns)))
                errors.Add("sweep.parallel", "must be at least 1 and at most the budget");
            if (!SpecValidator.EpochMetrics.Contains(sweep.Objective))
                errors.Add(sweep.Metric is null ? "sweep.early_stop.metric" : "sweep.metric", $"unknown metric '{sweep.Objective}'; one of {string.Join(", ", SpecValidator.EpochMetrics)}");
            if (sweep.Mode is not (null or "max" or "min")) errors.Add("sweep.mode", "must be max or min");
            // Its later runs are made by the proposal job, which does not copy a fork's checkpoint (the launch does).
            if (spec.ForkFrom is not null) errors.Add("sweep.method", "a tpe sweep cannot fork from a checkpoint; use a grid or random sweep of forks");
        }
        else
        {
            if (sweep.Budget is not null) errors.Add("sweep.budget", "only a tpe sweep takes a budget");
            if (sweep.Parallel is not null) errors.Add("sweep.parallel", "only a tpe sweep takes parallel; a grid or random sweep queues every run at once");
            if (sweep.Metric is not null) errors.Add("sweep.metric", "only a tpe sweep takes a metric to optimise (early stopping names its own)");
            if (sweep.Mode is not null) errors.Add("sweep.mode", "only a tpe sweep takes a mode");
        }
        if (sweep.Parameters.Count == 0) errors.Add("sweep.parameters", "name at least one dotted key to vary, e.g. \"optimizer.lr\"");
        foreach (var (key, element) in sweep.Parameters)
        {
            var field = $"sweep.parameters.{key}";
            if (string.IsNullOrWhiteSpace(key) || key.Split('.').Any(string.IsNullOrEmpty) || key.StartsWith("sweep", StringComparison.Ordinal))
            {
                errors.Add(field, "must be a dotted key of the spec, e.g. optimizer.lr");
                continue;
            }
            if (Parse(element, sweep.Method == "grid", out var message) is { } dim) dims.Add((key, dim));
            else errors.Add(field, message!);
        }
        if (sweep.Method == "random")
        {
            if (sweep.Count is not { } n || n < 1 || n > SweepSpec.MaxRuns)
                errors.Add("sweep.count", $"a random sweep needs a count of runs between 1 and {SweepSpec.MaxRuns}");
        }
        else if (sweep.Method == "grid" && dims.Count > 0)
        {
            double size = dims.Aggregate(1.0, (p, d) => p * d.Item2.Values!.Count);
            if (size > SweepSpec.MaxRuns)
                errors.Add("sweep.parameters", $"the grid has {size:N0} runs; at most {SweepSpec.MaxRuns:N0} in one sweep");
        }
        if (sweep.Count is not null && sweep.Method == "grid") errors.Add("sweep.count", "only a random sweep takes a count; a grid runs every combination");
        if (sweep.Shuffle && sweep.Method != "grid") errors.Add("sweep.shuffle", $"only a grid is shuffled: a {sweep.Method} sweep's runs come in the order they are drawn");
        if (sweep.Count is not null && sweep.Method == "tpe") errors.Add("sweep.count", "a tpe sweep takes a budget (runs in all), not a count");
        return dims;
    }

    /// <summary>Values to try at one key: a finite list, or (random sweeps) a range to draw from.</summary>
    private sealed record Dimension(IReadOnlyList<JsonNode?>? Values, double Min = 0, double Max = 0, string Distribution = "");

    private static Dimension? Parse(JsonElement e, bool grid, out string? message)
    {
        message = null;
        switch (e.ValueKind)
        {
            case JsonValueKind.Array:
                return ValuesOf(e, out message);
            case JsonValueKind.Object when e.TryGetProperty("values", out var values):
                if (e.EnumerateObject().Count() > 1) { message = "give either values or a range (min, max), not both"; return null; }
                return values.ValueKind == JsonValueKind.Array ? ValuesOf(values, out message) : Fail("values must be a list", out message);
            case JsonValueKind.Object:
                return Range(e, grid, out message);
            default:
                // A single value: every run gets it (handy to override one field for the whole sweep).
                return new Dimension([JsonNode.Parse(e.GetRawText())]);
        }
    }

    private static Dimension? ValuesOf(JsonElement list, out string? message)
    {
        message = null;
        var values = list.EnumerateArray().Select(v => JsonNode.Parse(v.GetRawText())).ToList();
        if (values.Count == 0) return Fail("give at least one value", out message);
        if (values.Count > SweepSpec.MaxRuns) return Fail($"at most {SweepSpec.MaxRuns} values", out message);
        return new Dimension(values);
    }

    private static Dimension? Range(JsonElement e, bool grid, out string? message)
    {
        message = null;
        string[] known = ["min", "max", "distribution", "num"];
        foreach (var p in e.EnumerateObject())
            if (!known.Contains(p.Name)) return Fail($"unknown key '{p.Name}'; a range takes min, max, distribution and num", out message);
        if (!Number(e, "min", out var min) || !Number(e, "max", out var max))
            return Fail("a range needs numbers min and max (or give a list of values)", out message);
        if (!(min <= max)) return Fail("min must not exceed max", out message);
        bool wholeNumbers = IsWhole(e, "min") && IsWhole(e, "max");
        var distribution = e.TryGetProperty("distribution", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()!
            : wholeNumbers ? "int_uniform" : "uniform";
        if (!SweepSpec.Distributions.Contains(distribution))
            return Fail("distribution must be uniform, log_uniform or int_uniform", out message);
        if (distribution == "log_uniform" && !(min > 0)) return Fail("a log-uniform range needs min > 0", out message);
        if (distribution == "int_uniform" && (min != Math.Floor(min) || max != Math.Floor(max)))
            return Fail("an int_uniform range needs whole numbers min and max", out message);
        int? num = null;
        if (e.TryGetProperty("num", out var n))
        {
            if (n.ValueKind != JsonValueKind.Number || !n.TryGetInt32(out var k) || k < 1 || k > SweepSpec.MaxRuns)
                return Fail($"num must be a whole number from 1 to {SweepSpec.MaxRuns}", out message);
            num = k;
        }
        if (!grid) return new Dimension(null, min, max, distribution);

        // A grid needs a finite list: num points, or every whole number of an int range.
        if (num is null && distribution != "int_uniform")
            return Fail("a grid over a range needs num, the number of values to try (or use a random sweep)", out message);
        if (num is null && max - min + 1 > SweepSpec.MaxRuns) return Fail($"the range has more than {SweepSpec.MaxRuns} whole numbers", out message);
        var count = num ?? (int)(max - min + 1);
        var points = new List<JsonNode?>();
        for (int i = 0; i < count; i++)
        {
            double t = count == 1 ? 0 : (double)i / (count - 1);
            double v = distribution == "log_uniform" ? Math.Exp(Math.Log(min) + t * (Math.Log(max) - Math.Log(min))) : min + t * (max - min);
            points.Add(distribution == "int_uniform" ? JsonValue.Create((long)Math.Round(v)) : JsonValue.Create(Tidy(v)));
        }
        // Rounding an int range to fewer points than it has can repeat a value; a grid runs each once.
        return new Dimension(points.DistinctBy(p => p!.ToJsonString()).ToList());
    }

    private static bool Number(JsonElement e, string name, out double value)
    {
        value = 0;
        return e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.Number && p.TryGetDouble(out value) && double.IsFinite(value);
    }

    private static bool IsWhole(JsonElement e, string name) => e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.Number && p.TryGetInt64(out _);

    private static Dimension? Fail(string text, out string? message)
    {
        message = text;
        return null;
    }

    /// <summary>Log-spaced values print as 0.0031622776601683794; 12 significant digits read better and lose nothing a sweep needs.</summary>
    private static double Tidy(double v) => double.Parse(v.ToString("G12", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static List<IReadOnlyDictionary<string, JsonNode?>> Grid(List<(string Key, Dimension Values)> dims)
    {
        // The last key varies fastest, as in nested for loops written in the order of the parameters.
        var result = new List<IReadOnlyDictionary<string, JsonNode?>> { new Dictionary<string, JsonNode?>() };
        foreach (var (key, dim) in dims)
            result = result.SelectMany(partial => dim.Values!.Select(v =>
                (IReadOnlyDictionary<string, JsonNode?>)new Dictionary<string, JsonNode?>(partial) { [key] = v })).ToList();
        return result;
    }

    private static List<IReadOnlyDictionary<string, JsonNode?>> Draw(List<(string Key, Dimension Values)> dims, int count, Random rng)
    {
        var result = new List<IReadOnlyDictionary<string, JsonNode?>>(count);
        for (int i = 0; i < count; i++)
        {
            var run = new Dictionary<string, JsonNode?>();
            foreach (var (key, dim) in dims)
            {
                if (dim.Values is { } values) { run[key] = values[rng.Next(values.Count)]; continue; }
                double u = rng.NextDouble();
                run[key] = dim.Distribution switch
                {
                    "int_uniform" => JsonValue.Create((long)dim.Min + rng.NextInt64((long)(dim.Max - dim.Min) + 1)),
                    "log_uniform" => JsonValue.Create(Tidy(Math.Exp(Math.Log(dim.Min) + u * (Math.Log(dim.Max) - Math.Log(dim.Min))))),
                    _ => JsonValue.Create(Tidy(dim.Min + u * (dim.Max - dim.Min))),
                };
            }
            result.Add(run);
        }
        return result;
    }

    /// <summary>Sets a dotted key in a spec's JSON; a numeric segment indexes a list (model.layer_size.0).</summary>
    private static void Set(JsonObject root, string key, JsonNode? value)
    {
        var segments = key.Split('.');
        JsonNode current = root;
        for (int i = 0; i < segments.Length; i++)
        {
            bool last = i == segments.Length - 1;
            var segment = segments[i];
            if (current is JsonArray array && int.TryParse(segment, out var index) && index >= 0 && index < array.Count)
            {
                if (last) { array[index] = value; return; }
                current = array[index] ??= new JsonObject();
                continue;
            }
            if (current is not JsonObject obj)
            {
                // Leave the key unapplied under a value that has no fields: parsing then names it as unknown.
                root[key] = value;
                return;
            }
            if (last) { obj[segment] = value; return; }
            // A section written as a bare name ("dataset": "mnist") is that name with its defaults.
            if (obj[segment] is JsonValue name && name.TryGetValue<string>(out var n)) obj[segment] = new JsonObject { ["name"] = n };
            current = obj[segment] ??= new JsonObject();
        }
    }

    private static void Report(SpecErrors runErrors, IReadOnlyDictionary<string, JsonNode?> assignment, SpecErrors errors)
    {
        foreach (var (field, messages) in runErrors.ToDictionary())
        {
            // An error at or under a swept key is that parameter's; any other is this combination's.
            var owner = assignment.Keys.FirstOrDefault(k => field == k || field.StartsWith(k + ".", StringComparison.Ordinal)
                                                            || k.StartsWith(field + ".", StringComparison.Ordinal));
            var at = string.Join(", ", assignment.Select(kv => $"{kv.Key}={kv.Value?.ToJsonString()}"));
            foreach (var m in messages)
            {
                if (owner is not null) errors.Add($"sweep.parameters.{owner}", $"{assignment[owner]?.ToJsonString()}: {(field == owner ? m : $"{field}: {m}")}");
                else errors.Add(field, $"{m} (with {at})");
            }
        }
    }
}
