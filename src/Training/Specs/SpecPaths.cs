using System.Text.Json.Nodes;
using Dashboard.Data;

namespace Dashboard.Training.Specs;

/// <summary>A spec as dotted keys and the text of their values (optimizer.lr → 0.01), as the form and the runs table show them.</summary>
public static class SpecPaths
{
    /// <summary>Every leaf of the JSON by its dotted key; lists are kept whole ([64,32]), strings without quotes.</summary>
    public static Dictionary<string, string> Flatten(JsonNode? node) =>
        RunParameters.Flatten(node).Where(kv => kv.Key.Length > 0).ToDictionary(kv => kv.Key, kv => Display(kv.Value), StringComparer.Ordinal);

    public static string Display(JsonNode? value) => RunParameters.Display(value);
}
