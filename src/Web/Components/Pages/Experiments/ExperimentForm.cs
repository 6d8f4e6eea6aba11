using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dashboard.Training.Specs;

namespace Dashboard.Web.Components.Pages.Experiments;

/// <summary>
/// What the new-experiment form edits, as the text the researcher typed: a value per dotted key, the MLP's layers,
/// the sweep's rows, or a whole spec as JSON. Turned into spec JSON and checked by the same parser and validator as
/// the API, so a bad value is reported against the same dotted key, which is also its input's name.
/// </summary>
public sealed class ExperimentForm
{
    public Dictionary<string, string> Values { get; } = new(StringComparer.Ordinal);
    public List<Layer> Layers { get; } = [];
    public string SweepMethod { get; set; } = "";
    public string SweepCount { get; set; } = "";
    /// <summary>tpe: runs in all, at a time, and the metric and direction it optimises (blank: the early stopping's metric, or val_loss).</summary>
    public string SweepBudget { get; set; } = "";
    public string SweepParallel { get; set; } = "";
    public string SweepMetric { get; set; } = "";
    public string SweepMode { get; set; } = "";
    /// <summary>grid: queue its runs in a seeded random order (for early stopping).</summary>
    public bool SweepShuffle { get; set; }
    /// <summary>Early stopping (ASHA) of the sweep's runs, with its fields as typed; blank numbers take the spec's defaults.</summary>
    public bool EarlyStop { get; set; }
    public string EarlyStopMetric { get; set; } = "val_loss";
    public string EarlyStopMode { get; set; } = "";
    public string EarlyStopMinEpochs { get; set; } = "1";
    public string EarlyStopReductionFactor { get; set; } = "3";
    public string EarlyStopMaxEpochs { get; set; } = "";
    public List<SweepRow> SweepRows { get; } = [];
    /// <summary>A whole spec pasted or uploaded as JSON (the notebooks' config dicts load as they are); launched as it is.</summary>
    public string SpecJson { get; set; } = "";

    public sealed class Layer(string size, string act)
    {
        public string Size { get; set; } = size;
        public string Act { get; set; } = act;
    }

    /// <summary>One swept key: a list of values ("0.01, 0.1", "[64,32], [128,64]"), or a range.</summary>
    public sealed class SweepRow(string key, string values = "", string min = "", string max = "", string distribution = "", string num = "")
    {
        public string Key { get; set; } = key;
        public string Values { get; set; } = values;
        public string Min { get; set; } = min;
        public string Max { get; set; } = max;
        public string Distribution { get; set; } = distribution;
        public string Num { get; set; } = num;
        public bool IsEmpty => string.IsNullOrWhiteSpace(Key) && string.IsNullOrWhiteSpace(Values) && string.IsNullOrWhiteSpace(Min) && string.IsNullOrWhiteSpace(Max);
    }

    /// <summary>Sweep rows offered empty below the filled ones when the form opens.</summary>
    public const int SpareSweepRows = 3;

    /// <summary>The rows to show: the filled ones and at least <see cref="SpareSweepRows"/> empty ones.</summary>
    public void PadSweepRows()
    {
        while (SweepRows.Count(r => r.IsEmpty) < SpareSweepRows) SweepRows.Add(new SweepRow(""));
    }

    public string Value(string key) => Values.GetValueOrDefault(key) ?? "";

    /// <summary>A small study that trains in seconds on the CPU: 4 classes of hyperspheres, a two-layer MLP.</summary>
    public static ExperimentForm Defaults() => FromSpec(Training.Specs.SpecJson.SerializeAll(new ExperimentSpec
    {
        Name = "hps",
        Dataset = new DatasetSpec { Classes = 4 },
        Model = new ModelSpec { LayerSize = [64, 32], ActFuncs = ["relu", "relu"] },
        Optimizer = new OptimizerSpec { Lr = 0.05 },
        BatchSize = 50,
    }));

    /// <summary>The form filled in from a spec (clone and edit), its sweep included.</summary>
    public static ExperimentForm FromSpec(string json)
    {
        var form = new ExperimentForm();
        // Parsed first: a bad spec is reported per field. Sections written as bare names ("dataset": "mnist") are
        // that name with its defaults.
        var spec = Training.Specs.SpecJson.Parse(json) with { Sweep = null };
        json = Training.Specs.SpecJson.FromNotebook(json);
        var node = JsonNode.Parse(json, documentOptions: new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })!.AsObject();
        // Every kind's fields: switching the model to cnn finds its width filled in (a run stores only its own kind's).
        var full = JsonNode.Parse(Training.Specs.SpecJson.SerializeAll(spec))!.AsObject();
        foreach (var (key, value) in SpecPaths.Flatten(full)) form.Values[key] = value.StartsWith('[') ? ListText(value) : value;
        var model = spec.Model!;
        for (int i = 0; i < model.LayerSize.Length; i++)
            form.Layers.Add(new Layer(model.LayerSize[i].ToString(CultureInfo.InvariantCulture), model.ActFuncs.Length > i ? model.ActFuncs[i] : "relu"));
        if (node["sweep"] is JsonObject sweep)
        {
            form.SweepMethod = sweep["method"]?.GetValue<string>() ?? "grid";
            form.SweepCount = sweep["count"]?.ToJsonString() ?? "";
            form.SweepBudget = sweep["budget"]?.ToJsonString() ?? "";
            form.SweepParallel = sweep["parallel"]?.ToJsonString() ?? "";
            form.SweepMetric = sweep["metric"]?.GetValue<string>() ?? "";
            form.SweepMode = sweep["mode"]?.GetValue<string>() ?? "";
            form.SweepShuffle = sweep["shuffle"]?.GetValue<bool>() ?? false;
            if (sweep["early_stop"] is JsonObject stop)
            {
                form.EarlyStop = true;
                form.EarlyStopMetric = stop["metric"]?.GetValue<string>() ?? "val_loss";
                form.EarlyStopMode = stop["mode"]?.GetValue<string>() ?? "";
                form.EarlyStopMinEpochs = stop["min_epochs"]?.ToJsonString() ?? "1";
                form.EarlyStopReductionFactor = stop["reduction_factor"]?.ToJsonString() ?? "3";
                form.EarlyStopMaxEpochs = stop["max_epochs"]?.ToJsonString() ?? "";
            }
            foreach (var (key, p) in sweep["parameters"] as JsonObject ?? [])
                form.SweepRows.Add(p switch
                {
                    JsonArray list => new SweepRow(key, string.Join(", ", list.Select(v => v?.ToJsonString()))),
                    JsonObject { } o when o["values"] is JsonArray list => new SweepRow(key, string.Join(", ", list.Select(v => v?.ToJsonString()))),
                    JsonObject o => new SweepRow(key, "", o["min"]?.ToJsonString() ?? "", o["max"]?.ToJsonString() ?? "",
                        o["distribution"]?.GetValue<string>() ?? "", o["num"]?.ToJsonString() ?? ""),
                    _ => new SweepRow(key, p?.ToJsonString() ?? ""),
                });
        }
        return form;
    }

    private static string ListText(string jsonList) => string.Join(", ", JsonNode.Parse(jsonList)!.AsArray().Select(SpecPaths.Display));

    /// <summary>The spec and its runs, or null with every problem in <paramref name="errors"/> under the field it belongs to.</summary>
    public (ExperimentSpec Spec, IReadOnlyList<PlannedRun> Runs)? ToRuns(SpecErrors errors)
    {
        if (!string.IsNullOrWhiteSpace(SpecJson)) return Plan(SpecJson, errors, prefix: "spec_json");
        // Text that is no number is left out of the JSON and the rest still checked, so that every problem is
        // reported in one round.
        var json = ToJson(errors);
        var plan = Plan(json.ToJsonString(), errors, prefix: null);
        return errors.Any ? null : plan;
    }

    private static (ExperimentSpec, IReadOnlyList<PlannedRun>)? Plan(string json, SpecErrors errors, string? prefix)
    {
        try
        {
            var spec = Training.Specs.SpecJson.Parse(json);
            return (spec, Sweeps.Expand(spec));
        }
        catch (InvalidSpecException e)
        {
            foreach (var (field, messages) in e.Errors.ToDictionary())
                foreach (var m in messages)
                    if (prefix is null) errors.Add(field, m);
                    else errors.Add(prefix, $"{field}: {m}");
            return null;
        }
    }

    /// <summary>The fields as spec JSON; text that is no number where one is wanted is reported here.</summary>
    public JsonObject ToJson(SpecErrors errors)
    {
        var root = new JsonObject();
        foreach (var f in SpecFields.All.Where(f => f.AppliesTo(Values)))
        {
            var text = Value(f.Key).Trim();
            if (text.Length == 0 && f.Kind is not FieldKind.Bool)
            {
                if (!f.Optional) errors.Add(f.Key, "required");
                continue;
            }
            if (Convert(f.Kind, text, out var error) is var (ok, node) && ok) Set(root, f.Key, node);
            else errors.Add(f.Key, error!);
        }
        if (Value("model.name") == "mlp")
        {
            var sizes = new JsonArray();
            foreach (var l in Layers)
                if (long.TryParse(l.Size, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)) sizes.Add(n);
                else errors.Add(SpecFields.LayerSize, $"'{l.Size}' is not a whole number");
            Set(root, SpecFields.LayerSize, sizes);
            Set(root, SpecFields.ActFuncs, new JsonArray([.. Layers.Select(l => (JsonNode)l.Act)]));
        }
        if (SweepMethod.Length > 0) root["sweep"] = SweepJson(errors);
        else if (SweepRows.Any(r => !r.IsEmpty))
            // Filled rows are never dropped silently: one run with a sweep's rows is a question, not a launch.
            errors.Add("sweep.parameters", "parameters are filled in but \"one run\" is chosen: choose grid or random to sweep them, or clear the rows");
        return root;
    }

    private JsonObject SweepJson(SpecErrors errors)
    {
        var sweep = new JsonObject { ["method"] = SweepMethod };
        if (SweepCount.Trim().Length > 0)
        {
            if (int.TryParse(SweepCount, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)) sweep["count"] = n;
            else errors.Add("sweep.count", "must be a whole number");
        }
        WholeNumber(sweep, "budget", SweepBudget, "sweep.budget", errors);
        WholeNumber(sweep, "parallel", SweepParallel, "sweep.parallel", errors);
        if (SweepMethod == "grid" && SweepShuffle) sweep["shuffle"] = true;
        if (SweepMethod == "tpe")
        {
            if (SweepMetric.Trim().Length > 0) sweep["metric"] = SweepMetric.Trim();
            if (SweepMode.Length > 0) sweep["mode"] = SweepMode;
        }
        if (EarlyStop)
        {
            var stop = new JsonObject { ["type"] = "asha", ["metric"] = EarlyStopMetric.Trim() };
            if (EarlyStopMode.Length > 0) stop["mode"] = EarlyStopMode;
            WholeNumber(stop, "min_epochs", EarlyStopMinEpochs, "sweep.early_stop.min_epochs", errors);
            WholeNumber(stop, "reduction_factor", EarlyStopReductionFactor, "sweep.early_stop.reduction_factor", errors);
            WholeNumber(stop, "max_epochs", EarlyStopMaxEpochs, "sweep.early_stop.max_epochs", errors);
            sweep["early_stop"] = stop;
        }
        var parameters = new JsonObject();
        foreach (var row in SweepRows.Where(r => !r.IsEmpty))
        {
            var field = $"sweep.parameters.{row.Key}";
            if (string.IsNullOrWhiteSpace(row.Key)) { errors.Add("sweep.parameters", "a row has values but no key"); continue; }
            if (parameters.ContainsKey(row.Key)) { errors.Add(field, "this key is swept twice"); continue; }
            if (row.Values.Length > 0)
            {
                parameters[row.Key] = new JsonArray([.. SplitTopLevel(row.Values).Select(ValueOf)]);
                continue;
            }
            if (row.Min.Length == 0 || row.Max.Length == 0) { errors.Add(field, "give values (comma-separated) or a range (min and max)"); continue; }
            var range = new JsonObject();
            foreach (var (name, text) in new[] { ("min", row.Min), ("max", row.Max), ("num", row.Num) })
            {
                if (text.Length == 0) continue;
                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _)) range[name] = ValueOf(text);
                else errors.Add(field, $"{name} must be a number");
            }
            if (row.Distribution.Length > 0) range["distribution"] = row.Distribution;
            parameters[row.Key] = range;
        }
        sweep["parameters"] = parameters;
        return sweep;
    }

    /// <summary>A whole number typed into a sweep field, set at <paramref name="name"/>; blank leaves the default.</summary>
    private static void WholeNumber(JsonObject target, string name, string text, string field, SpecErrors errors)
    {
        if (text.Trim().Length == 0) return;
        if (int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)) target[name] = n;
        else errors.Add(field, $"'{text.Trim()}' is not a whole number");
    }

    /// <summary>"0.01, [64, 32], relu" → three values: commas inside brackets or quotes do not split.</summary>
    public static IEnumerable<string> SplitTopLevel(string text)
    {
        int depth = 0, start = 0;
        bool quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '"') quoted = !quoted;
            else if (!quoted && c is '[' or '{') depth++;
            else if (!quoted && c is ']' or '}') depth--;
            else if (!quoted && depth == 0 && c == ',')
            {
                if (text[start..i].Trim() is { Length: > 0 } part) yield return part;
                start = i + 1;
            }
        }
        if (text[start..].Trim() is { Length: > 0 } last) yield return last;
    }

    /// <summary>A value as typed: JSON where it is JSON (numbers, lists, true), a number as people type them (.5), else a string (relu).</summary>
    private static JsonNode? ValueOf(string text)
    {
        try { return JsonNode.Parse(text); }
        catch (JsonException) { }
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? JsonValue.Create(d) : JsonValue.Create(text);
    }

    private static (bool, JsonNode?) Convert(FieldKind kind, string text, out string? error)
    {
        error = null;
        switch (kind)
        {
            case FieldKind.Int:
                if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i)) return (true, i);
                error = "must be a whole number";
                return (false, null);
            case FieldKind.Number:
                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)) return (true, d);
                error = "must be a number";
                return (false, null);
            case FieldKind.Bool:
                return (true, text is "true" or "on");
            case FieldKind.OptionalBool:
                return (true, text == "true");
            case FieldKind.IntList:
                var list = new JsonArray();
                foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    if (long.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)) list.Add(n);
                    else { error = $"'{part}' is not a whole number"; return (false, null); }
                }
                return (true, list);
            case FieldKind.TextList:
                return (true, new JsonArray([.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => (JsonNode)s)]));
            default:
                return (true, text);
        }
    }

    private static void Set(JsonObject root, string key, JsonNode? value)
    {
        var parts = key.Split('.');
        var obj = root;
        foreach (var p in parts[..^1]) obj = (obj[p] ??= new JsonObject()).AsObject();
        obj[parts[^1]] = value;
    }
}
