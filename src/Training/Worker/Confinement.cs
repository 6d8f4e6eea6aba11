using System.Runtime.InteropServices;
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
        if (spec.Dataset?.Folder is { } folder && !IsInside(folder, training.DatasetRoots))
            errors.Add("dataset.folder", $"{folder} is outside the data folders this dashboard reads ({string.Join(", ", training.DatasetRoots.Select(Path.GetFullPath))}; more with Training:DataRoots)");
        foreach (var reference in spec.LossFunc.MinimaFrom)
            if (!RunReference().IsMatch(reference) && !MinimumReference.LooksLikeOne(reference) && !IsCheckpoint(reference, dataDir))
                errors.Add("loss_func.minima_from", $"{reference}: name a run (project/00003), a minimum it captured (project/00003@epoch-3) or a checkpoint (.pt) inside {Path.Combine(Path.GetFullPath(dataDir), "runs")}");
    }

    public static void Check(IEnumerable<ExperimentSpec> specs, TrainingOptions training, string dataDir)
    {
        var errors = new SpecErrors();
        foreach (var spec in specs) Check(spec, training, dataDir, errors);
        if (errors.Any) throw new InvalidSpecException(errors);
    }

    /// <summary>A checkpoint file of some run: under DataDir/runs, a .pt file (never the database or other files there).</summary>
    public static bool IsCheckpoint(string path, string dataDir) =>
        path.EndsWith(".pt", StringComparison.Ordinal) && IsInside(path, [Path.Combine(dataDir, "runs")]);

    /// <summary>
    /// Whether <paramref name="path"/> is one of <paramref name="roots"/> or inside one, compared as real paths: ".."
    /// resolved, and symbolic links followed where the path exists, so a link inside a root cannot lead out of it.
    /// </summary>
    public static bool IsInside(string path, IEnumerable<string> roots)
    {
        var full = Real(path);
        return roots.Where(r => !string.IsNullOrWhiteSpace(r)).Select(Real)
            .Any(root => full == root || full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal));
    }

    private static string Real(string path)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (!OperatingSystem.IsLinux()) return full;
        var resolved = realpath(full, IntPtr.Zero);
        if (resolved == IntPtr.Zero) return full;  // does not exist (yet): nothing to follow
        try { return Marshal.PtrToStringUTF8(resolved)!; }
        finally { free(resolved); }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern IntPtr realpath([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);

    [DllImport("libc")]
    private static extern void free(IntPtr p);

    [GeneratedRegex(@"^[A-Za-z0-9_-]{1,64}/\d+$")]
    private static partial Regex RunReference();
}
