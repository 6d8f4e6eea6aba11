using System.Text.Json;
using Dashboard.Training.Specs;

namespace Dashboard.Training.Engine;

/// <summary>
/// One loss_func.minima_from entry as a run loaded it: the entry as written, the file it was read from, the run and
/// epoch it came from where known, and the file it is kept as in this run's folder. A run writes the list to
/// minima-loaded.json when it loads them, so its page and API can say which minima it kept away from.
/// </summary>
public sealed record LoadedMinimum(string Reference, string File, string? SourceRun = null, int? Epoch = null)
{
    public string? StoredAs { get; init; }

    public const string RecordFile = "minima-loaded.json";

    private static readonly JsonSerializerOptions Json = new(SpecJson.Options) { WriteIndented = true };

    /// <summary>The default resolution (no database, as in `train`): the entry is a checkpoint or minimum file.</summary>
    public static LoadedMinimum AsFile(string reference) => MinimumReference.LooksLikeOne(reference)
        ? throw new ArgumentException($"loss_func.minima_from: {reference} names a run's captured minimum, which only the dashboard's worker can find; " +
            "give its file instead (minimum-epoch-NNNN.f32 in that run's checkpoint folder)")
        : new LoadedMinimum(reference, reference);

    public static void Write(string directory, IReadOnlyList<LoadedMinimum> loaded)
    {
        var path = Path.Combine(directory, RecordFile);
        var tmp = path + ".tmp";
        System.IO.File.WriteAllText(tmp, JsonSerializer.Serialize(loaded, Json));
        System.IO.File.Move(tmp, path, overwrite: true);
    }

    /// <summary>What a run recorded it loaded; empty when it loaded none (or has not started).</summary>
    public static IReadOnlyList<LoadedMinimum> Read(string directory)
    {
        var path = Path.Combine(directory, RecordFile);
        if (!System.IO.File.Exists(path)) return [];
        try { return JsonSerializer.Deserialize<List<LoadedMinimum>>(System.IO.File.ReadAllText(path), Json) ?? []; }
        catch (JsonException) { return []; }
    }
}
