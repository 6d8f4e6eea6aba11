using System.Globalization;
using System.Text.Json.Nodes;
using Dashboard.Data;
using Dashboard.Training.Engine;
using Dashboard.Training.Models;
using Dashboard.Training.Specs;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Training.Worker;

/// <summary>
/// The checkpoint a fork starts from (spec fork_from): its run, its files, where it stood, and whether a spec can go
/// on from it. A fork's run gets a copy of the checkpoint in its own folder at launch, so it resumes from it as a run
/// resumes from its own (weights, batch-norm statistics, optimizer state, step), on any host, and keeps its start
/// even if the parent's checkpoints are pruned later.
/// </summary>
public sealed record ForkSource(ForkReference Reference, Run Parent, ExperimentSpec ParentSpec, string File, CheckpointState State)
{
    /// <summary>The checkpoint <paramref name="reference"/> names, or why there is none.</summary>
    public static async Task<(ForkSource? Source, string? Error)> FindAsync(DashboardDb db, StorageOptions storage, string reference, CancellationToken ct)
    {
        if (ForkReference.Parse(reference) is not { } r) return (null, $"{reference}: not a run's checkpoint (project/NNNNN@epoch-NNNN or @best)");
        var parent = await db.Runs.AsNoTracking().FirstOrDefaultAsync(x => x.Project == r.Project && x.Number == r.Number, ct);
        if (parent is null) return (null, $"{reference}: no run {r.RunName} exists");
        var file = Path.Combine(storage.CheckpointDir(parent.Id), r.File);
        if (!System.IO.File.Exists(file) || !System.IO.File.Exists(Path.ChangeExtension(file, ".json")))
        {
            var kept = Directory.Exists(storage.CheckpointDir(parent.Id))
                ? Directory.GetFiles(storage.CheckpointDir(parent.Id), "*.pt").Select(Path.GetFileNameWithoutExtension).Order().ToList() : [];
            return (null, $"{reference}: {r.RunName} has no checkpoint {r.Checkpoint}" +
                (kept.Count == 0 ? " (it keeps none)" : $" (it keeps {string.Join(", ", kept)})"));
        }
        ExperimentSpec parentSpec;
        try { parentSpec = SpecJson.Parse(parent.Spec); }
        catch (InvalidSpecException) { return (null, $"{reference}: {r.RunName}'s spec no longer reads; fork a newer run"); }
        return (new ForkSource(r, parent, parentSpec, file, Checkpoints.StateOf(file)), null);
    }

    /// <summary>Why <paramref name="spec"/> cannot go on from this checkpoint, field by field (none: it can).</summary>
    public IEnumerable<(string Field, string Message)> Problems(ExperimentSpec spec)
    {
        var name = Reference.ToString();
        if (spec.MaxEpochs <= State.Epoch)
            yield return ("max_epochs", $"must exceed {State.Epoch.ToString(CultureInfo.InvariantCulture)}, the epoch {name} stood at: a fork trains the epochs after it");
        if (ModelDifference(spec) is { } model)
            yield return ("fork_from", $"{name}: {model}; a fork keeps the model's shape and changes how it trains (learning rate, schedules, batch size, epochs, regulariser)");
        if (spec.Optimizer.Name != ParentSpec.Optimizer.Name)
            yield return ("optimizer.name", $"{name} trained with {ParentSpec.Optimizer.Name}: its optimizer state does not fit {spec.Optimizer.Name}");
        else if (!(spec.Optimizer.Groups ?? []).Select(g => (g.Params, g.Name)).SequenceEqual((ParentSpec.Optimizer.Groups ?? []).Select(g => (g.Params, g.Name))))
            yield return ("optimizer.groups", $"{name} has other optimizer groups: their state would not fit");
    }

    /// <summary>What differs between the two models' layers, as a reader would say it, or null when they are the same.</summary>
    private string? ModelDifference(ExperimentSpec spec)
    {
        ModelGraph mine, theirs;
        try
        {
            mine = ModelFactory.BuildFor(spec);
            theirs = ModelFactory.BuildFor(ParentSpec);
        }
        catch (ArgumentException) { return null; }  // a model that does not build is the validator's to report
        if (mine.Nodes.Count != theirs.Nodes.Count)
            return $"its model has {theirs.Nodes.Count} layers ({theirs.ParameterCount:N0} parameters), this spec's {mine.Nodes.Count} ({mine.ParameterCount:N0})";
        for (int i = 0; i < mine.Nodes.Count; i++)
        {
            GraphNode a = mine.Nodes[i], b = theirs.Nodes[i];
            if (a.Op != b.Op || !a.Shape.SequenceEqual(b.Shape) || a.Params != b.Params || !a.Attrs.SequenceEqual(b.Attrs) || !a.Inputs.SequenceEqual(b.Inputs))
                return $"its {b.Name} gives [{string.Join(", ", b.Shape)}] with {b.Params:N0} parameters, this spec's {a.Name} " +
                    $"[{string.Join(", ", a.Shape)}] with {a.Params:N0}";
        }
        return null;
    }

    /// <summary>
    /// Copies the checkpoint into a fork's own folder as its starting point (an epoch-NNNN pair, which is what a run
    /// resumes from), with the distance term's stored minima it names.
    /// </summary>
    public void CopyTo(string checkpointDir)
    {
        Directory.CreateDirectory(checkpointDir);
        var folder = Path.GetDirectoryName(File)!;
        foreach (var minimum in State.Minima)
            System.IO.File.Copy(Path.Combine(folder, minimum), Path.Combine(checkpointDir, minimum), overwrite: true);
        // A fork resumes, so it loads no minima_from itself: it keeps away from its parent's, which its page lists.
        var loaded = Path.Combine(folder, LoadedMinimum.RecordFile);
        if (System.IO.File.Exists(loaded)) System.IO.File.Copy(loaded, Path.Combine(checkpointDir, LoadedMinimum.RecordFile), overwrite: true);
        var target = Path.Combine(checkpointDir, $"epoch-{State.Epoch:D4}");
        // The .json first and the .pt last, as Checkpoints writes them: a .pt always has its .json.
        System.IO.File.Copy(Path.ChangeExtension(File, ".json"), target + ".json", overwrite: true);
        System.IO.File.Copy(File, target + ".pt", overwrite: true);
    }

    /// <summary>The settings a fork changed from its parent's spec, "optimizer.lr 0.1 → 0.01", for its run page.</summary>
    public static IReadOnlyList<string> Changes(string parentSpec, string forkSpec)
    {
        var before = SpecPaths.Flatten(JsonNode.Parse(parentSpec));
        var after = SpecPaths.Flatten(JsonNode.Parse(forkSpec));
        string[] same = ["fork_from", "name", "sweep"];
        return [.. before.Keys.Union(after.Keys).Where(k => !same.Any(s => k == s || k.StartsWith(s + ".", StringComparison.Ordinal)))
            .Order(StringComparer.Ordinal)
            .Where(k => before.GetValueOrDefault(k) != after.GetValueOrDefault(k))
            .Select(k => $"{k} {before.GetValueOrDefault(k) ?? "(none)"} → {after.GetValueOrDefault(k) ?? "(none)"}")];
    }
}
