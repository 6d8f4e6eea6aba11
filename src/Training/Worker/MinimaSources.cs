using System.Globalization;
using System.Text.RegularExpressions;
using Dashboard.Data;
using Dashboard.Training.Engine;
using Dashboard.Training.Specs;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Training.Worker;

/// <summary>
/// Where loss_func.minima_from entries point: a run ("mnist/00003", its last checkpoint), a minimum a run captured
/// ("mnist/00003@epoch-3", the minimum-epoch-0003.f32 in its folder), or a checkpoint file inside the data folder.
/// The launch checks ask it whether an entry names something that exists; the worker asks it for the file to load.
/// </summary>
public static partial class MinimaSources
{
    /// <summary>A minimum a run captured at an epoch end, with the entry that names it in minima_from.</summary>
    public sealed record Captured(int Epoch, string File, long Size, DateTime Written, string Reference);

    /// <summary>The minima a run has captured so far (loss_func.capture_epochs), by epoch.</summary>
    public static IReadOnlyList<Captured> CapturedBy(StorageOptions storage, long runId, string project, int number)
    {
        var dir = new DirectoryInfo(storage.CheckpointDir(runId));
        if (!dir.Exists) return [];
        return [.. dir.EnumerateFiles("minimum-epoch-*.f32")
            .Select(f => (File: f, Epoch: MinimumReference.EpochOfFile(f.Name)))
            .Where(f => f.Epoch is not null)
            .OrderBy(f => f.Epoch)
            .Select(f => new Captured(f.Epoch!.Value, f.File.Name, f.File.Length, f.File.LastWriteTimeUtc, new MinimumReference(project, number, f.Epoch!.Value).ToString()))];
    }

    /// <summary>Why <paramref name="reference"/> names nothing that exists, or null when it does (checkpoint files are confined, not looked up, here).</summary>
    public static async Task<string?> ProblemAsync(DashboardDb db, StorageOptions storage, string reference, CancellationToken ct)
    {
        if (MinimumReference.Parse(reference) is { } minimum)
        {
            var run = await db.Runs.AsNoTracking().Where(r => r.Project == minimum.Project && r.Number == minimum.Number)
                .Select(r => new { r.Id }).FirstOrDefaultAsync(ct);
            if (run is null) return $"{reference}: no run {minimum.RunName} exists";
            if (File.Exists(Path.Combine(storage.CheckpointDir(run.Id), minimum.File))) return null;
            var captured = CapturedBy(storage, run.Id, minimum.Project, minimum.Number);
            return $"{reference}: {minimum.RunName} has captured no minimum after epoch {minimum.Epoch}; " +
                (captured.Count == 0 ? "it has captured none (loss_func.capture_epochs)" : $"it has {string.Join(", ", captured.Select(c => c.Reference))}");
        }
        if (RunReference().Match(reference) is { Success: true } match)
        {
            var project = match.Groups[1].Value;
            var number = int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
            if (!await db.Runs.AnyAsync(r => r.Project == project && r.Number == number, ct)) return $"{reference}: no such run exists";
        }
        return null;
    }

    /// <summary>The file the worker loads for <paramref name="reference"/>, and where it came from; throws when there is none.</summary>
    public static LoadedMinimum Resolve(DashboardDb db, StorageOptions storage, string reference)
    {
        if (MinimumReference.Parse(reference) is { } minimum)
        {
            var id = RunId(db, minimum.Project, minimum.Number)
                ?? throw new FileNotFoundException($"loss_func.minima_from: {reference}: no run {minimum.RunName} exists");
            var file = Path.Combine(storage.CheckpointDir(id), minimum.File);
            if (!File.Exists(file))
            {
                var captured = CapturedBy(storage, id, minimum.Project, minimum.Number);
                throw new FileNotFoundException($"loss_func.minima_from: {reference}: {minimum.RunName} has captured no minimum after epoch {minimum.Epoch}" +
                    (captured.Count == 0 ? "" : $" (it has {string.Join(", ", captured.Select(c => c.Reference))})"));
            }
            return new LoadedMinimum(reference, file, minimum.RunName, minimum.Epoch);
        }
        if (MinimumReference.LooksLikeOne(reference))
            throw new ArgumentException($"loss_func.minima_from: '{reference}': a captured minimum is named {MinimumReference.Format}");
        if (RunReference().Match(reference) is { Success: true } match)
        {
            var (project, number) = (match.Groups[1].Value, int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture));
            if (RunId(db, project, number) is { } runId)
            {
                var latest = Checkpoints.Latest(storage.CheckpointDir(runId))
                    ?? throw new FileNotFoundException($"loss_func.minima_from: run {reference} has no checkpoint yet");
                return new LoadedMinimum(reference, latest, Run.NameOf(project, number), Checkpoints.StateOf(latest).Epoch);
            }
        }
        if (!Confinement.IsCheckpoint(reference, storage.DataDir))
            throw new UnauthorizedAccessException($"loss_func.minima_from: {reference} is outside this dashboard's data folder");
        return new LoadedMinimum(reference, reference);
    }

    private static long? RunId(DashboardDb db, string project, int number) =>
        db.Runs.Where(r => r.Project == project && r.Number == number).Select(r => (long?)r.Id).FirstOrDefault();

    [GeneratedRegex(@"^([A-Za-z0-9_-]{1,64})/(\d{1,9})$")]
    private static partial Regex RunReference();
}
