namespace Dashboard.Data;

public static class EnsembleStatus
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Done = "done";
    /// <summary>Could not be evaluated; why is in <see cref="Ensemble.Error"/>.</summary>
    public const string Failed = "failed";

    public static bool IsFinished(string status) => status is Done or Failed;
}

/// <summary>Which checkpoint of each member an ensemble reads.</summary>
public static class EnsembleCheckpoint
{
    /// <summary>The newest periodic or final checkpoint (epoch-NNNN): the run's weights as it ended.</summary>
    public const string Last = "last";
    /// <summary>best.pt, kept for the run's checkpoint.keep_best metric.</summary>
    public const string Best = "best";

    public static readonly string[] All = [Last, Best];
}

/// <summary>
/// A stored analysis: several runs' checkpoints evaluated together on their shared validation set, their softmax
/// probabilities averaged. Evaluated by a Hangfire job on a worker that can read the checkpoints; reopened from its page.
/// Figures are null until it is done (and for an AP with no class to score).
/// </summary>
public sealed class Ensemble
{
    public const int NameLength = 128;

    public long Id { get; set; }
    public required string Name { get; set; }
    public string Status { get; set; } = EnsembleStatus.Queued;
    public string? Error { get; set; }
    /// <summary><see cref="EnsembleCheckpoint.Last"/> or <see cref="EnsembleCheckpoint.Best"/>.</summary>
    public string Checkpoint { get; set; } = EnsembleCheckpoint.Last;
    /// <summary>The machine whose disk holds the members' checkpoints and whose workers evaluate it; null when any
    /// worker can (Storage:SharedDataDir).</summary>
    public string? Host { get; set; }
    public string? CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
    /// <summary>Members evaluated so far, for the page's progress while it runs.</summary>
    public int Evaluated { get; set; }
    /// <summary>Validation samples and classes it was scored on.</summary>
    public int? Samples { get; set; }
    public int? Classes { get; set; }
    public double? Accuracy { get; set; }
    /// <summary>The mean negative log of the averaged probability of the true class.</summary>
    public double? Loss { get; set; }
    /// <summary>Macro average precision, one class against the rest, of the averaged probabilities.</summary>
    public double? Ap { get; set; }
    public List<EnsembleMember> Members { get; set; } = [];
}

/// <summary>One run of an ensemble, with its own figures on the same validation set.</summary>
public sealed class EnsembleMember
{
    public long Id { get; set; }
    public long EnsembleId { get; set; }
    public long RunId { get; set; }
    public Run? Run { get; set; }
    /// <summary>Its place in the ensemble as chosen (0, 1, ...).</summary>
    public int Position { get; set; }
    /// <summary>The checkpoint file read ("epoch-0004.pt"), once evaluated.</summary>
    public string? CheckpointFile { get; set; }
    public double? Accuracy { get; set; }
    public double? Loss { get; set; }
    public double? Ap { get; set; }
}
