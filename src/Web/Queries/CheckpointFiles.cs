using System.Text.RegularExpressions;
using Dashboard.Data;

namespace Dashboard.Web.Queries;

/// <summary>A run's checkpoint files in its own folder, for the run page and the checkpoints endpoint.</summary>
public static partial class CheckpointFiles
{
    public sealed record CheckpointFile(string Name, long Size, DateTime Modified);

    public static IReadOnlyList<CheckpointFile> List(StorageOptions storage, long runId)
    {
        var dir = new DirectoryInfo(storage.CheckpointDir(runId));
        if (!dir.Exists) return [];
        return dir.EnumerateFiles().Where(f => IsName(f.Name))
            .OrderBy(f => f.Name, StringComparer.Ordinal).Select(f => new CheckpointFile(f.Name, f.Length, f.LastWriteTimeUtc)).ToList();
    }

    /// <summary>A plain file name the trainer writes: no separators, no "..", so it never leaves the run's folder.</summary>
    public static bool IsName(string name) => FileName().IsMatch(name);

    [GeneratedRegex(@"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.(pt|json)$")]
    private static partial Regex FileName();
}
