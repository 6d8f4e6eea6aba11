using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace Dashboard.Training.Specs;

/// <summary>
/// Marks a field of a named spec section (dataset, model, optimizer, the schedules) as used only by the kinds listed,
/// e.g. model.width by the cnn. A field without it applies to every kind of its section.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class AppliesToAttribute(params string[] kinds) : Attribute
{
    public IReadOnlyList<string> Kinds { get; } = kinds;
}

/// <summary>
/// Which fields of a spec apply to it: those of its dataset's, model's, optimizer's and schedules' kinds (from the
/// <see cref="AppliesToAttribute"/>s on the spec records), defaults included. A run stores and shows only these, so
/// that an MLP run carries no model.width and a filter or a parameter diff never meets another kind's default.
/// </summary>
public static class SpecApplicability
{
    /// <summary>Whether a dotted key (model.width, optimizer.lr) applies to the spec; keys outside the named sections always do.</summary>
    public static bool Applies(ExperimentSpec spec, string dottedKey) => Applies(Kinds([spec]), dottedKey);

    /// <summary>Whether a dotted key applies to one of the kinds given for its section (<see cref="Kinds"/>).</summary>
    public static bool Applies(IReadOnlyDictionary<string, HashSet<string>> kinds, string dottedKey) =>
        Limit(dottedKey) is not { } limit || limit.Kinds.Any(k => kinds.GetValueOrDefault(limit.Section)?.Contains(k) == true);

    /// <summary>The kinds a dotted key is limited to (model.width and model.width.0: cnn); null when it applies to every spec.</summary>
    public static IReadOnlyList<string>? KindsOf(string dottedKey) => Limit(dottedKey)?.Kinds;

    private static (string Section, IReadOnlyList<string> Kinds)? Limit(string dottedKey)
    {
        var parts = dottedKey.Split('.');
        if (parts.Length < 2 || !Sections.TryGetValue(parts[0], out var section)) return null;
        return section.Fields.TryGetValue(parts[1], out var kinds) ? (parts[0], kinds) : null;
    }

    /// <summary>The kind of each named section (dataset: mnist) over one spec or several (a sweep's runs).</summary>
    public static Dictionary<string, HashSet<string>> Kinds(IEnumerable<ExperimentSpec> specs)
    {
        var kinds = Sections.Keys.ToDictionary(k => k, _ => new HashSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var spec in specs)
            foreach (var (key, section) in Sections)
                if (section.KindOf(spec) is { } kind) kinds[key].Add(kind);
        return kinds;
    }

    /// <summary>
    /// Removes from a spec's full JSON the fields of named sections that apply to none of <paramref name="specs"/>
    /// (one spec for a run; a sweep's template and its runs for an experiment, whose runs may be of several kinds).
    /// Groups of the optimizer are pruned by their own names.
    /// </summary>
    public static JsonObject Prune(JsonObject json, IReadOnlyCollection<ExperimentSpec> specs) => Prune(json, Kinds(specs));

    /// <summary>Removes the fields of named sections that apply to none of the kinds given for their section.</summary>
    public static JsonObject Prune(JsonObject json, IReadOnlyDictionary<string, HashSet<string>> kinds)
    {
        foreach (var (key, section) in Sections)
            if (json[key] is JsonObject o)
                PruneSection(o, section, kinds.GetValueOrDefault(key) ?? []);
        return json;
    }

    private static void PruneSection(JsonObject json, Section section, IReadOnlySet<string> kinds)
    {
        foreach (var (field, applies) in section.Fields)
            if (!applies.Any(kinds.Contains)) json.Remove(field);
        foreach (var nested in section.NestedLists)
            if (json[nested] is JsonArray list)
                foreach (var item in list.OfType<JsonObject>())
                    PruneSection(item, section, item["name"] is JsonValue v && v.TryGetValue<string>(out var name) ? new HashSet<string> { name } : []);
    }

    // Stored JSON, read without building the spec: the start-up check of every stored run must stay cheap.

    /// <summary>Adds the kinds stored spec JSON names to <paramref name="into"/>; false when a section does not name its kind.</summary>
    public static bool AddKinds(JsonElement spec, Dictionary<string, HashSet<string>> into)
    {
        if (spec.ValueKind != JsonValueKind.Object) return false;
        foreach (var key in Sections.Keys)
        {
            if (!spec.TryGetProperty(key, out var section) || section.ValueKind == JsonValueKind.Null) continue;
            if (NameIn(section) is not { } kind) return false;
            if (!into.TryGetValue(key, out var set)) into[key] = set = new HashSet<string>(StringComparer.Ordinal);
            set.Add(kind);
        }
        return true;
    }

    /// <summary>Whether stored spec JSON holds a field that applies to none of the kinds given for its section.</summary>
    public static bool HoldsOtherKinds(JsonElement spec, IReadOnlyDictionary<string, HashSet<string>> kinds)
    {
        foreach (var (key, section) in Sections)
            if (spec.TryGetProperty(key, out var o) && o.ValueKind == JsonValueKind.Object
                && HoldsOtherKinds(o, section, kinds.GetValueOrDefault(key) ?? [])) return true;
        return false;
    }

    private static bool HoldsOtherKinds(JsonElement json, Section section, IReadOnlySet<string> kinds)
    {
        foreach (var field in json.EnumerateObject())
        {
            if (section.Fields.TryGetValue(field.Name, out var applies) && !applies.Any(kinds.Contains)) return true;
            if (section.NestedLists.Contains(field.Name) && field.Value.ValueKind == JsonValueKind.Array)
                foreach (var item in field.Value.EnumerateArray())
                    if (item.ValueKind == JsonValueKind.Object && HoldsOtherKinds(item, section, NameIn(item) is { } name ? new HashSet<string> { name } : [])) return true;
        }
        return false;
    }

    private static string? NameIn(JsonElement section) => section.ValueKind switch
    {
        JsonValueKind.String => section.GetString(),
        JsonValueKind.Object when section.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String => n.GetString(),
        _ => null,
    };

    /// <summary>A named section: how to read a spec's kind of it, its fields limited to some kinds (by JSON name),
    /// and its fields that hold further sections of its own type (the optimizer's groups).</summary>
    private sealed record Section(Func<ExperimentSpec, string?> KindOf, IReadOnlyDictionary<string, IReadOnlyList<string>> Fields, IReadOnlyList<string> NestedLists);

    /// <summary>By JSON key, read once from the serializer's own view of the records, so names match what is written.</summary>
    private static readonly IReadOnlyDictionary<string, Section> Sections = Describe();

    private static Dictionary<string, Section> Describe()
    {
        var sections = new Dictionary<string, Section>(StringComparer.Ordinal);
        foreach (var property in SpecJson.Options.GetTypeInfo(typeof(ExperimentSpec)).Properties)
        {
            if (!IsNamedSection(property.PropertyType)) continue;
            var info = SpecJson.Options.GetTypeInfo(property.PropertyType);
            var name = property.PropertyType.GetProperty("Name")!;
            var get = property.Get!;
            sections[property.Name] = new Section(
                spec => get(spec) is { } value ? name.GetValue(value) as string : null,
                info.Properties.Where(p => KindsOf(p) is not null).ToDictionary(p => p.Name, p => KindsOf(p)!, StringComparer.Ordinal),
                [.. info.Properties.Where(p => p.PropertyType == property.PropertyType.MakeArrayType()).Select(p => p.Name)]);
        }
        return sections;
    }

    private static bool IsNamedSection(Type type) =>
        type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(INamedSpec<>));

    private static IReadOnlyList<string>? KindsOf(JsonPropertyInfo p) =>
        (p.AttributeProvider as MemberInfo)?.GetCustomAttribute<AppliesToAttribute>()?.Kinds;

    /// <summary>Every kind the attributes name, by section key, for checking them against the kinds that exist.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> KindsNamed() =>
        Sections.ToDictionary(s => s.Key, s => (IReadOnlyList<string>)[.. s.Value.Fields.Values.SelectMany(k => k).Distinct()]);
}
