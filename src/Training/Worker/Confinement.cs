using System.Text.RegularExpressions;
using Dashboard.Training.Specs;

namespace Dashboard.Training.Worker;

/// <summary>
/// The files a spec may make a worker read: dataset folders inside the configured data roots, checkpoints (for
/// minima) inside the dashboard's data folder or named by run. Checked when a run is launched, with the field in the
/// error, and again by the worker before it reads anything (its own configuration may differ).
/// </summary>
public static partial class Confinement
{
    public static void Check(ExperimentSpec spec, TrainingOptions training, string dataDir, SpecErrors errors)
    {
        if (spec.Dataset?.Folder is { } folder && !TrainingOptions.IsInside(folder, training.DatasetRoots))
            errors.Add("dataset.folder", $"{folder} is outside the data folders this dashboard reads ({string.Join(", ", training.DatasetRoots.Select(Path.GetFullPath))}; more with Training:DataRoots)");
        foreach (var reference in spec.LossFunc.MinimaFrom)
            if (!RunReference().IsMatch(reference) && !TrainingOptions.IsInside(reference, [dataDir]))
                errors.Add("loss_func.minima_from", $"{reference}: name a run (project/00003) or a checkpoint inside {Path.GetFullPath(dataDir)}");
    }

    public static void Check(IEnumerable<ExperimentSpec> specs, TrainingOptions training, string dataDir)
    {
        var errors = new SpecErrors();
        foreach (var spec in specs) Check(spec, training, dataDir, errors);
        if (errors.Any) throw new InvalidSpecException(errors);
    }

    [GeneratedRegex(@"^[A-Za-z0-9_-]{1,64}/\d+$")]
    private static partial Regex RunReference();
}
