using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dashboard.Training.Specs;

/// <summary>A spec as dotted keys and their values (optimizer.lr → 0.01), the names sweeps, filters and tables use.</summary>
public static class SpecPaths
{
    /// <summary>Every leaf of the JSON by its dotted key; lists are kept whole ([64,32]), strings without quotes.</summary>
    public static Dictionary<string, string> Flatten(JsonNode? node)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        Walk(node, "", result);
        return result;
    }

    private static void Walk(JsonNode? node, string prefix, Dictionary<string, string> into)
    {
        if (node is JsonObject obj)
        {
            foreach (var (key, child) in obj) Walk(child, prefix.Length == 0 ? key : $"{prefix}.{key}", into);
            return;
        }
        if (prefix.Length == 0) return;
        into[prefix] = Display(node);
    }

    public static string Display(JsonNode? value) =>
        value is null ? "null"
        : value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>()
        : value.ToJsonString();
}
