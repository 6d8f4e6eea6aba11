using System.Text.Json.Nodes;

namespace Dashboard.Data;

/// <summary>
/// A run's hyperparameters as flat dotted keys ("optimizer.lr"), the vocabulary of sweeps, for comparing runs side by
/// side and grouping them. Lists stay whole ("model.layer_size" = [64,32]): a list is one choice, not one per entry.
/// </summary>
public static class RunParameters
{
    /// <summary>Every leaf of the spec by dotted key, overlaid by the run's sweep values, in key order.</summary>
    public static SortedDictionary<string, JsonNode?> Of(Run run)
    {
        var flat = new SortedDictionary<string, JsonNode?>(StringComparer.Ordinal);
        Flatten(JsonNode.Parse(run.Spec), "", flat);
        if (JsonNode.Parse(run.Params) is JsonObject sweep)
            foreach (var (key, value) in sweep) flat[key] = value?.DeepClone();
        return flat;
    }

    /// <summary>The sweep's own keys first (in the order they first appear), then every other key whose value differs
    /// between the runs (missing in some counts as differing). What a researcher would group or tell runs apart by.</summary>
    public static List<string> Differing(IReadOnlyList<Run> runs, IReadOnlyList<SortedDictionary<string, JsonNode?>> flat)
    {
        var keys = new List<string>();
        foreach (var r in runs)
            if (JsonNode.Parse(r.Params) is JsonObject sweep)
                keys.AddRange(sweep.Select(kv => kv.Key).Where(k => !keys.Contains(k)));
        var all = flat.SelectMany(f => f.Keys).Distinct().Order(StringComparer.Ordinal);
        keys.AddRange(all.Where(k => !keys.Contains(k) && !Same(flat, k)));
        return keys;
    }

    /// <summary>Whether every run has the key with one and the same value.</summary>
    public static bool Same(IReadOnlyList<SortedDictionary<string, JsonNode?>> flat, string key)
    {
        string? first = null;
        foreach (var f in flat)
        {
            if (!f.TryGetValue(key, out var v)) return false;
            var text = Json(v);
            if (first is null) first = text;
            else if (text != first) return false;
        }
        return true;
    }

    /// <summary>The value as a reader wants it: strings bare, everything else as JSON.</summary>
    public static string Display(JsonNode? value) =>
        value is JsonValue v && v.TryGetValue<string>(out var s) ? s : Json(value);

    /// <summary>Canonical text of a value, for equality: 0.01 from the sweep and 0.01 from the spec are one value.</summary>
    public static string Json(JsonNode? value) => value?.ToJsonString() ?? "null";

    /// <summary>Every leaf of a JSON object by its dotted key (lists kept whole), in key order.</summary>
    public static SortedDictionary<string, JsonNode?> Flatten(JsonNode? node)
    {
        var flat = new SortedDictionary<string, JsonNode?>(StringComparer.Ordinal);
        Flatten(node, "", flat);
        return flat;
    }

    private static void Flatten(JsonNode? node, string prefix, SortedDictionary<string, JsonNode?> into)
    {
        if (node is JsonObject o && (o.Count > 0 || prefix == ""))
            foreach (var (key, child) in o) Flatten(child, prefix == "" ? key : $"{prefix}.{key}", into);
        else into[prefix] = node?.DeepClone();
    }
}
