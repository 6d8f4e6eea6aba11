using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dashboard.Training.Specs;

/// <summary>
/// The notes' config dicts as they are pasted: Python's True / False / None, and a name wrapping the spec
/// (<c>"mnist1": {...}</c>, or <c>{"mnist1": {...}}</c>). Turned into the plain spec JSON the parser reads.
/// </summary>
public static class NotebookDicts
{
    public static string ToJson(string text)
    {
        var json = PythonWords(text).Trim();
        // `"mnist1": {...}` is a dict entry, not a document: braces around it make it one.
        if (json.StartsWith('"')) json = "{" + json.TrimEnd(',', ' ', '\n', '\r', '\t') + "}";
        try
        {
            if (JsonNode.Parse(json, documentOptions: new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })
                is JsonObject { Count: 1 } root && root.First() is { Value: JsonObject inner } entry && !SpecKeys.Contains(entry.Key))
                return inner.ToJsonString();
        }
        catch (JsonException) { /* reported by the parser, against the text as given */ }
        return json;
    }

    private static readonly HashSet<string> SpecKeys = typeof(ExperimentSpec).GetProperties()
        .Select(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name)).ToHashSet(StringComparer.Ordinal);

    /// <summary>True, False and None outside strings become true, false and null.</summary>
    private static string PythonWords(string text)
    {
        var sb = new StringBuilder(text.Length);
        bool quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                sb.Append(c);
                if (c == '\\' && i + 1 < text.Length) sb.Append(text[++i]);
                else if (c == '"') quoted = false;
                continue;
            }
            if (c == '"') { quoted = true; sb.Append(c); continue; }
            if (char.IsLetter(c) && (i == 0 || !char.IsLetterOrDigit(text[i - 1]) && text[i - 1] != '_'))
            {
                int end = i;
                while (end < text.Length && (char.IsLetterOrDigit(text[end]) || text[end] == '_')) end++;
                var word = text[i..end];
                sb.Append(word switch { "True" => "true", "False" => "false", "None" => "null", _ => word });
                i = end - 1;
                continue;
            }
            sb.Append(c);
        }
        return sb.ToString();
    }
}
