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
        // Named, not left to the first (de)serialization to fill in: SpecApplicability reads the records' contracts
        // (GetTypeInfo) at start, before anything in a fresh process has serialized a spec.
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
    };

    /// <summary>Reads and validates a spec; throws <see cref="InvalidSpecException"/> with a message per field.</summary>
    public static ExperimentSpec Parse(string json)
    {
        json = FromNotebook(json);
        var errors = new SpecErrors();
        ExperimentSpec? spec = null;
        try
        {
            // Syntax first, so that broken JSON is reported as such rather than against the field it stopped in.
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            OutsideFloat32(document.RootElement, "", errors);
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

    /// <summary>A notebook's config dict (True/False/None, a name wrapping the spec) as spec JSON; JSON stays as it is.</summary>
    public static string FromNotebook(string text) => NotebookDicts.ToJson(text);

    /// <summary>
    /// Training runs in float32: a value beyond ±3.4e38 (lr 1e308) would fail in the trainer, so it is refused here,
    /// against its field, with the others.
    /// </summary>
    private static void OutsideFloat32(JsonElement e, string path, SpecErrors errors)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject()) OutsideFloat32(p.Value, path.Length == 0 ? p.Name : $"{path}.{p.Name}", errors);
                break;
            case JsonValueKind.Array:
                foreach (var item in e.EnumerateArray()) OutsideFloat32(item, path, errors);
                break;
            case JsonValueKind.Number when e.TryGetDouble(out var d) && Math.Abs(d) > float.MaxValue:
                errors.Add(path.Length == 0 ? "spec" : path, $"{e.GetRawText()} is outside the range of a 32-bit float (±3.4e38)");
                break;
        }
    }

    /// <summary>
    /// The spec as a run stores it and the API and pages show it: only the fields that apply to its dataset, model,
    /// optimizer and schedules (<see cref="SpecApplicability"/>), defaults included. It reads back to the same spec.
    /// </summary>
    public static string Serialize(ExperimentSpec spec) => Serialize(spec, SpecApplicability.Kinds([spec]));

    /// <summary>The spec with the fields that apply to any of <paramref name="runs"/> (an experiment's template, whose sweep may change kinds).</summary>
    public static string SerializeFor(ExperimentSpec spec, IReadOnlyCollection<ExperimentSpec> runs) => Serialize(spec, SpecApplicability.Kinds(runs));

    /// <summary>The spec with the fields of its own kinds and of <paramref name="alsoKinds"/> (section: kinds, <see cref="SpecApplicability.Kinds"/>).</summary>
    public static string Serialize(ExperimentSpec spec, IReadOnlyDictionary<string, HashSet<string>> alsoKinds)
    {
        var kinds = SpecApplicability.Kinds([spec]);
        foreach (var (section, names) in alsoKinds)
            if (kinds.TryGetValue(section, out var own)) own.UnionWith(names);
        return SpecApplicability.Prune(JsonSerializer.SerializeToNode(spec, Options)!.AsObject(), kinds).ToJsonString(Options);
    }

    /// <summary>
    /// Every field, other kinds' included: the base a sweep sets its keys on (model.name: [mlp, cnn] must keep the
    /// cnn's width) and the form, which offers every kind's fields.
    /// </summary>
    public static string SerializeAll(ExperimentSpec spec) => JsonSerializer.Serialize(spec, Options);

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
