using System.Text.Json;
using Dashboard.Training.Native;
using Dashboard.Training.Specs;

namespace Dashboard.Training.Engine;

/// <summary>What resuming needs beyond the tensors: where the run stood, written as JSON beside each .pt file.</summary>
public sealed record CheckpointState
{
    public int Epoch { get; init; }
    public long Step { get; init; }
    public long Samples { get; init; }
    /// <summary>Wall time of the run so far, and the part of it spent in training steps (for samples per second).</summary>
    public double Elapsed { get; init; }
    public double TrainSeconds { get; init; }
    /// <summary>Files of the stored minima of the distance term, beside the checkpoint.</summary>
    public string[] Minima { get; init; } = [];
    public Dictionary<string, double> Final { get; init; } = [];
    public string? BestMetric { get; init; }
    public double? BestValue { get; init; }
    /// <summary>The spec the run trained with, so a checkpoint explains itself.</summary>
    public string? Spec { get; init; }
}

/// <summary>
/// A run's checkpoint folder: epoch-NNNN.pt/.json every N epochs and at the end (the newest keep_last kept),
/// and best.pt/.json for the best value of the chosen metric. Each .pt holds weights, batch-norm statistics,
/// optimizer state and the step count; learning rate, batch size and random draws follow from the epoch.
/// </summary>
public sealed class Checkpoints
{
    private static readonly JsonSerializerOptions Json = new(SpecJson.Options) { WriteIndented = true };
    private readonly CheckpointSpec _spec;
    private readonly string _specJson;
    private double? _best;

    public string Directory { get; }

    public Checkpoints(string directory, ExperimentSpec spec)
    {
        Directory = directory;
        _spec = spec.Checkpoint;
        _specJson = SpecJson.Serialize(spec);
        System.IO.Directory.CreateDirectory(directory);
        var best = Path.Combine(directory, "best.json");
        if (File.Exists(best)) _best = ReadState(best).BestValue;
    }

    public void Save(NativeModel model, OptimizerSet optimizers, CheckpointState state)
    {
        Write(model, optimizers, state, Path.Combine(Directory, $"epoch-{state.Epoch:D4}.pt"));
        foreach (var old in Periodic(Directory).SkipLast(_spec.KeepLast))
        {
            File.Delete(old);
            File.Delete(Path.ChangeExtension(old, ".json"));
        }
    }

    public bool IsBest(double value) =>
        double.IsFinite(value) && (_best is not { } b || (_spec.Maximise ? value > b : value < b));

    public void SaveBest(NativeModel model, OptimizerSet optimizers, CheckpointState state)
    {
        Write(model, optimizers, state, Path.Combine(Directory, "best.pt"));
        _best = state.BestValue;
    }

    private static readonly string TempTag = $"{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";

    // The .json goes first and the .pt last (each written under a temporary name and renamed), so a .pt on disk
    // always has its own .json beside it, whenever the host dies.
    private void Write(NativeModel model, OptimizerSet optimizers, CheckpointState state, string path)
    {
        var json = Path.ChangeExtension(path, ".json");
        // Named for this process: a host taken for dead that wakes up may still write the same checkpoint for a moment
        // (and in containers sharing the data folder, every worker may be process 1).
        var tmp = $"{json}.{TempTag}.tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(state with { Spec = _specJson }, Json));
        File.Move(tmp, json, overwrite: true);
        model.SaveCheckpoint(optimizers, path);
    }

    /// <summary>Restores tensors and optimizer state from a .pt and returns where the run stood.</summary>
    public static CheckpointState Load(NativeModel model, OptimizerSet optimizers, string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"checkpoint {path} not found");
        var json = Path.ChangeExtension(path, ".json");
        if (!File.Exists(json)) throw new FileNotFoundException($"checkpoint {path} has no {Path.GetFileName(json)} beside it");
        var state = ReadState(json);
        model.LoadCheckpoint(optimizers, path);
        return state;
    }

    /// <summary>Where the run stood at a checkpoint (from its JSON).</summary>
    public static CheckpointState StateOf(string path) => ReadState(Path.ChangeExtension(path, ".json"));

    /// <summary>The newest periodic or final checkpoint in a folder, or null.</summary>
    public static string? Latest(string directory) =>
        System.IO.Directory.Exists(directory) ? Periodic(directory).LastOrDefault() : null;

    // Ordered by epoch number, not by name: epoch-10000 comes after epoch-9999. Only complete pairs count.
    private static IEnumerable<string> Periodic(string directory) =>
        System.IO.Directory.GetFiles(directory, "epoch-*.pt")
            .Where(pt => File.Exists(Path.ChangeExtension(pt, ".json")))
            .Select(pt => (Path: pt, Epoch: int.TryParse(Path.GetFileNameWithoutExtension(pt)["epoch-".Length..], out var e) ? e : -1))
            .Where(p => p.Epoch >= 0)
            .OrderBy(p => p.Epoch)
            .Select(p => p.Path);

    private static CheckpointState ReadState(string json) =>
        JsonSerializer.Deserialize<CheckpointState>(File.ReadAllText(json), Json) ?? throw new InvalidDataException($"{json} is empty");
}
