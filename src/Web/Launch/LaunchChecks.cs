using System.Text.RegularExpressions;
using Dashboard.Data;
using Dashboard.Training;
using Dashboard.Training.Datasets;
using Dashboard.Training.Models;
using Dashboard.Training.Specs;
using Dashboard.Training.Worker;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dashboard.Web.Launch;

/// <summary>
/// What a launch checks beyond the spec's own rules, where the web node can see it: the files a run would read
/// (inside the data folders, present), the runs its minima come from (they exist), a subset no larger than the
/// dataset, a run that fits in the memory of its device. The API's launch and preview and the form's launch and preview all run these, so a preview never
/// accepts what a launch refuses.
/// </summary>
public sealed partial class LaunchChecks(IDbContextFactory<DashboardDb> dbs, IOptions<TrainingOptions> training, StorageOptions storage,
    IOptions<WorkerOptions> worker)
{
    public DeviceMemory Memory { get; } = new(dbs, worker);

    /// <summary>Adds every problem of every run to <paramref name="errors"/>, under the field it belongs to.</summary>
    public async Task CheckAsync(IReadOnlyList<PlannedRun> runs, SpecErrors errors, CancellationToken ct = default)
    {
        var found = new SpecErrors();
        foreach (var spec in runs.Select(r => r.Spec))
        {
            Confinement.Check(spec, training.Value, storage.DataDir, found);
            if (!found.For("dataset.folder").Any()) DatasetFiles(spec, found);
            DatasetSize(spec, found);
        }
        await MinimaRunsAsync(runs.SelectMany(r => r.Spec.LossFunc.MinimaFrom).Distinct().ToList(), found, ct);
        await ForksAsync(runs, found, ct);
        await MemoryAsync(runs, found, ct);
        // A sweep of many runs repeats one problem per run: each message once.
        foreach (var field in found.Fields)
            foreach (var message in found.For(field).Distinct())
                if (!errors.For(field).Contains(message)) errors.Add(field, message);
    }

    /// <summary>Throws <see cref="InvalidSpecException"/> with every problem found.</summary>
    public async Task EnsureAsync(IReadOnlyList<PlannedRun> runs, CancellationToken ct = default)
    {
        var errors = new SpecErrors();
        await CheckAsync(runs, errors, ct);
        if (errors.Any) throw new InvalidSpecException(errors);
    }

    /// <summary>The folder a dataset is read from.</summary>
    private string? FolderOf(DatasetSpec dataset) => dataset.Name switch
    {
        "mnist" => dataset.Folder ?? training.Value.MnistDir,
        "fashion_mnist" => dataset.Folder ?? training.Value.FashionMnistDir,
        "cifar10" => dataset.Folder ?? training.Value.Cifar10Dir,
        _ => null,
    };

    /// <summary>The files the loader would not find, as its own rules look for them (IdxFiles, Cifar10Files).</summary>
    private void DatasetFiles(ExperimentSpec spec, SpecErrors errors)
    {
        if (spec.Dataset is not { } dataset || FolderOf(dataset) is not { } folder) return;
        var missing = dataset.Name == "cifar10" ? Cifar10Files.Missing(folder) : [.. IdxFiles.Names.Where(n => !IdxFiles.Has(folder, n))];
        if (missing.Count == 0) return;
        var field = dataset.Folder is null ? "dataset.name" : "dataset.folder";
        errors.Add(field, $"the {dataset.Name} files are not in {Path.GetFullPath(folder)}: expected {string.Join(", ", missing.Select(f => dataset.Name == "cifar10" ? f : f + "[.gz]"))}");
    }

    /// <summary>Training samples of each dataset: hyperspheres' n less its validation share, the image sets' train files.</summary>
    public static int? TrainingSamples(DatasetSpec dataset) =>
        SpecValidator.Datasets.Contains(dataset.Name) ? DatasetLoader.SamplesOf(dataset).Train : null;

    private static void DatasetSize(ExperimentSpec spec, SpecErrors errors)
    {
        if (spec.Dataset is { Size: { } size } dataset && TrainingSamples(dataset) is { } samples && size > samples)
            errors.Add("dataset.size", $"{size} is more than the {samples} training samples of {dataset.Name}: a subset cannot be larger than the dataset");
    }

    /// <summary>
    /// Refuses a run whose estimated peak memory (<see cref="MemoryEstimate"/>) exceeds the most its device has on
    /// any host. A sweep names each field once, with its largest run.
    /// </summary>
    private async Task MemoryAsync(IReadOnlyList<PlannedRun> runs, SpecErrors errors, CancellationToken ct)
    {
        var limits = await Memory.LimitsAsync(ct);
        var worst = new Dictionary<string, (long Total, string Message)>();
        foreach (var spec in runs.Select(r => r.Spec))
        {
            if (MemoryEstimate.TryFor(spec) is not { } estimate) continue;  // a spec that does not build is reported by the validator
            if (MemoryFit.Problem(spec, estimate, limits.TryGetValue(spec.Device, out var limit) ? limit : null) is not var (field, message)) continue;
            if (worst.TryGetValue(field, out var known) && known.Total >= estimate.Total) continue;
            worst[field] = (estimate.Total, message);
        }
        foreach (var (field, (_, message)) in worst) errors.Add(field, message);
    }

    /// <summary>The runs and captured minima named in minima_from exist; a missing minimum is answered with those that do.</summary>
    private async Task MinimaRunsAsync(IReadOnlyList<string> references, SpecErrors errors, CancellationToken ct)
    {
        if (references.Count == 0) return;
        await using var db = await dbs.CreateDbContextAsync(ct);
        foreach (var reference in references)
            if (await MinimaSources.ProblemAsync(db, storage, reference, ct) is { } problem) errors.Add("loss_func.minima_from", problem);
    }

    /// <summary>A fork's checkpoint exists, and each run can go on from it (same model, same optimizer, epochs left).</summary>
    private async Task ForksAsync(IReadOnlyList<PlannedRun> runs, SpecErrors errors, CancellationToken ct)
    {
        var forks = runs.Where(r => r.Spec.ForkFrom is not null).GroupBy(r => r.Spec.ForkFrom!).ToList();
        if (forks.Count == 0) return;
        await using var db = await dbs.CreateDbContextAsync(ct);
        foreach (var group in forks)
        {
            var (source, error) = await ForkSource.FindAsync(db, storage, group.Key, ct);
            if (source is null) { errors.Add("fork_from", error!); continue; }
            foreach (var run in group)
                foreach (var (field, message) in source.Problems(run.Spec)) errors.Add(field, message);
        }
    }
}
