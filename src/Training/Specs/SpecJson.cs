using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dashboard.Training.Specs;

public static class SpecJson
{
    /// <summary>A spec is a few kilobytes; a sweep of long lists a few tens. More is refused before it is parsed.</summary>
    public const int MaxChars = 256 * 1024;

    /// <summary>snake_case, and unknown keys refused, so that a typo never trains silently with a default.</summary>
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        NumberHandling = JsonNumberHandling.Strict,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = false,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Reads and validates a spec; throws <see cref="InvalidSpecException"/> with a message per field.</summary>
    public static ExperimentSpec Parse(string json)
    {
        var errors = new SpecErrors();
        ExperimentSpec? spec = null;
        try
        {
            // Syntax first, so that broken JSON is reported as such rather than against the field it stopped in.
            using (JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })) { }
        }
        catch (JsonException e)
        {
            errors.Add("spec", "not valid JSON: " + e.Message.Split(" Path:")[0]);
            throw new InvalidSpecException(errors);
        }
        try
        {
            spec = JsonSerializer.Deserialize<ExperimentSpec>(json, Options);
            if (spec is null) errors.Add("spec", "the spec must be a JSON object");
        }
        catch (JsonException e)
        {
            errors.Add(FieldOf(e.Path), Describe(e));
        }
        if (spec is not null) SpecValidator.Validate(spec, errors);
        if (errors.Any) throw new InvalidSpecException(errors);
        return spec!;
    }

    public static string Serialize(ExperimentSpec spec) => JsonSerializer.Serialize(spec, Options);

    private static string FieldOf(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$") return "spec";
        var p = path.StartsWith("$.") ? path[2..] : path.TrimStart('$');
        // STJ writes odd names as $['name']; keep them readable.
        return p.Replace("['", ".").Replace("']", "").TrimStart('.');
    }

    private static string Describe(JsonException e)
    {
        var m = e.Message;
        if (m.Contains("could not be mapped", StringComparison.Ordinal)) return "unknown key";
        return "wrong type: expected " + ExpectedKind(m);
    }

    private static string ExpectedKind(string message) =>
        message.Contains("System.Int") ? "a whole number"
        : message.Contains("System.Double") ? "a number"
        : message.Contains("System.Boolean") ? "true or false"
        : message.Contains("System.String[]") || message.Contains("System.Int32[]") ? "a list"
        : message.Contains("System.String") ? "a string"
        : "a value of another type";
}
