namespace Dashboard.Data;

/// <summary>One launch from the form or the API: a spec and the runs made from it.</summary>
public sealed class Experiment
{
    public long Id { get; set; }
    /// <summary>The project prefix; runs are numbered within it (hps/00001, hps/00002, ...).</summary>
    public required string Name { get; set; }
    /// <summary>The spec as launched, its sweep included, with the fields that apply to any of its runs (a sweep may
    /// make runs of several kinds: the cnn's width stays for a clone though the spec's own model is an mlp).</summary>
    public required string Spec { get; set; }
    /// <summary>The sweep block it was launched with (JSON); null for a single run.</summary>
    public string? Sweep { get; set; }
    public DateTime CreatedAt { get; set; }
    public List<Run> Runs { get; set; } = [];
}

public static class RunStatus
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Diverged = "diverged";
    public const string Cancelled = "cancelled";
    /// <summary>Stopped by its sweep's early stopping (ASHA) at a rung, its reason in Error; its checkpoints kept.</summary>
    public const string Stopped = "stopped";

    public static readonly string[] Finished = [Completed, Failed, Diverged, Cancelled, Stopped];

    public static bool IsFinished(string status) => Finished.Contains(status);
}

public sealed class Run
{
    public long Id { get; set; }
    public long ExperimentId { get; set; }
    public Experiment? Experiment { get; set; }
    public required string Project { get; set; }
    public int Number { get; set; }
    public string Status { get; set; } = RunStatus.Queued;
    /// <summary>The exact spec this run trains: the fields that apply to its dataset, model, optimizer and schedules,
    /// defaults included; other kinds' fields (model.width of an MLP) are left out (SpecApplicability).</summary>
    public required string Spec { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
    public string? Error { get; set; }
    /// <summary>Epochs finished so far, for progress in lists without reading metric points.</summary>
    public int Epoch { get; set; }
    public int MaxEpochs { get; set; }
    public long? DivergedAtStep { get; set; }
    /// <summary>Set by a cancel request while the run trains; the host training it stops it within seconds.</summary>
    public DateTime? CancelRequestedAt { get; set; }
    /// <summary>The values its sweep gave it, as a JSON object of dotted keys ({"optimizer.lr": 0.01}); {} for a single run.</summary>
    public string Params { get; set; } = "{}";
    /// <summary>Comma-separated, as the researcher typed them (see <see cref="RunTags"/>).</summary>
    public string Tags { get; set; } = "";
    public string Notes { get; set; } = "";
    /// <summary>The user who launched it ("local" while sign-in is off).</summary>
    public string? LaunchedBy { get; set; }
    public string? CancelledBy { get; set; }
    /// <summary>The model's parameters and forward FLOPs of one sample, from the spec at launch (null: not sized).</summary>
    public long? ParameterCount { get; set; }
    public long? FlopsPerSample { get; set; }
    /// <summary>A tpe sweep's proposal this run is (0, 1, ...), unique in its experiment; null for other runs.</summary>
    public int? SweepIndex { get; set; }
    /// <summary>What proposed it: "tpe" (the model) or "random" (TPE's startup draws, or a redraw away from a pending run).</summary>
    public string? ProposedBy { get; set; }
    /// <summary>A fork's lineage (spec fork_from): the run it started from, which checkpoint, and where that stood.</summary>
    public long? ForkOfRunId { get; set; }
    public string? ForkCheckpoint { get; set; }
    public int? ForkEpoch { get; set; }
    public long? ForkStep { get; set; }

    public string DisplayName => NameOf(Project, Number);

    public static string NameOf(string project, int number) => $"{project}/{number:D5}";
}

/// <summary>
/// One go at training a run on one host. A run restarts after its host died or shut down, from its last checkpoint;
/// each start is an attempt, and the number of them is capped (Worker:MaxAttempts).
/// </summary>
public sealed class RunAttempt
{
    public long Id { get; set; }
    public long RunId { get; set; }
    public int Number { get; set; }
    /// <summary>Machine name and process id of the worker.</summary>
    public required string Host { get; set; }
    /// <summary>What it trained on: cpu, or its GPUs (cuda:0,cuda:1).</summary>
    public string? Devices { get; set; }
    public DateTime StartedAt { get; set; }
    /// <summary>The epoch it resumed after (0: from the start).</summary>
    public int ResumedAfterEpoch { get; set; }
    public DateTime? EndedAt { get; set; }
    /// <summary>How it ended: a run status, or "lost" when its host stopped answering.</summary>
    public string? Outcome { get; set; }
    public string? Reason { get; set; }

    // What it trained with, stamped by its host as it starts (Training's AttemptEnvironment), so that a result can
    // be traced to the code, libraries and hardware behind it. Null on attempts started before they were recorded.
    public const int EnvironmentLength = 256;
    /// <summary>The engine's version and the git commit it was built from: "1.0.0+bf7ad0c2...".</summary>
    public string? EngineVersion { get; set; }
    /// <summary>libtorch's version, "1.13.0".</summary>
    public string? TorchVersion { get; set; }
    /// <summary>"CPU", or "CUDA 12.1, cuDNN 8.9.2".</summary>
    public string? TorchBuild { get; set; }
    /// <summary>The BLAS libtorch calls: "OpenBLAS 0.3.21 (pthread, Haswell)", "MKL 2022.2", "reference BLAS (unoptimised)".</summary>
    public string? Blas { get; set; }
    /// <summary>libtorch's threading and CPU kernels: "OpenMP 4.5, oneDNN 2.6.3, AVX2".</summary>
    public string? CpuBackends { get; set; }
    /// <summary>The CPU's model for a CPU run; the GPUs' for a CUDA run.</summary>
    public string? DeviceModel { get; set; }
    /// <summary>libtorch's own report of its build (show_config, with the BLAS libraries loaded), for what the fields leave out.</summary>
    public string? TorchReport { get; set; }
}

/// <summary>
/// A run of a sweep with early stopping reaching one of its rungs: the value of the sweep's metric it got there with.
/// ASHA's decisions are recomputed from these rows alone (Asha.Rungs), ordered by <see cref="Id"/>, a database sequence
/// that the hosts of a cluster share (their clocks may differ); (run, rung epoch) is unique, so the first value stored
/// for a rung counts, and a run resumed from a checkpoint or a retried write changes no decision.
/// </summary>
public sealed class RungArrival
{
    public long Id { get; set; }
    public long ExperimentId { get; set; }
    public long RunId { get; set; }
    /// <summary>The rung's epoch (min_epochs * reduction_factor^k).</summary>
    public int RungEpoch { get; set; }
    /// <summary>The epoch the value is of: the rung's, or a later one when the rung's could not be stored in time.</summary>
    public int Epoch { get; set; }
    /// <summary>Null for a value that is not finite (SQLite stores NaN as null).</summary>
    public double? Value { get; set; }
    public DateTime Time { get; set; }
}

/// <summary>A line the trainer wrote about a run (resumed from a checkpoint, stored a minimum, diverged).</summary>
public sealed class RunMessage
{
    public long Id { get; set; }
    public long RunId { get; set; }
    public DateTime Time { get; set; }
    public required string Text { get; set; }
}

/// <summary>Tags are kept as one comma-separated column: few per run, and filtered with a LIKE on both databases.</summary>
public static class RunTags
{
    /// <summary>All of a run's tags together, as stored.</summary>
    public const int MaxLength = 512;
    public const int MaxTag = 40;
    /// <summary>A run's notes (free text, kept beside its tags).</summary>
    public const int MaxNotes = 20_000;

    /// <summary>A tag is 1 to <see cref="MaxTag"/> characters, without commas (they separate tags).</summary>
    public static bool IsValid(string tag) => tag.Length is > 0 and <= MaxTag && !tag.Contains(',');

    /// <summary>Whether these tags, stored together, fit the column.</summary>
    public static bool Fit(IEnumerable<string> tags) => Format(tags).Length <= MaxLength;

    public static string[] Parse(string? text) =>
        (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Distinct(StringComparer.OrdinalIgnoreCase).ToArray();

    public static string Format(IEnumerable<string> tags) => string.Join(",", tags);
}

/// <summary>An append-only metric value; (run, key, step) is unique.</summary>
public sealed class MetricPoint
{
    public long RunId { get; set; }
    public required string Key { get; set; }
    public long Step { get; set; }
    public double Value { get; set; }
    public DateTime Time { get; set; }
}

/// <summary>
/// The latest, lowest and highest value of one metric of one run, kept by the metric writer in the transaction that
/// stores the points, so that run lists sort and filter by metrics without reading the points.
/// </summary>
public sealed class MetricSummary
{
    public long RunId { get; set; }
    public required string Key { get; set; }
    public long LastStep { get; set; }
    public double LastValue { get; set; }
    public double MinValue { get; set; }
    public double MaxValue { get; set; }
}

/// <summary>A process that trains runs, as it last reported itself (Workers page). Rows of hosts gone quiet stay,
/// shown as lost, until pruned.</summary>
public sealed class WorkerHost
{
    /// <summary>Machine name and process id.</summary>
    public required string Name { get; set; }
    /// <summary>The devices it trains on, e.g. "cpu (16 cores, 125.8 GiB)" or "cuda:0", comma-separated.</summary>
    public required string Devices { get; set; }
    public int Slots { get; set; }
    public int Busy { get; set; }
    public DateTime StartedAt { get; set; }
    public DateTime HeartbeatAt { get; set; }
    // The host's figures at its sampler's last sample (Worker:SystemMetricsSeconds); null with sampling off, or
    // where not known (host memory off Linux).
    /// <summary>The worker process's CPU: 100 is one core busy.</summary>
    public double? CpuPercent { get; set; }
    public double? RssGib { get; set; }
    public double? HostMemoryGib { get; set; }
    public double? HostMemoryTotalGib { get; set; }
    /// <summary>Each GPU's figures as JSON (index, utilisation, memory, power, temperature); null on a host without GPUs.</summary>
    public string? GpuFigures { get; set; }
}

public static class Roles
{
    /// <summary>Reads everything.</summary>
    public const string Viewer = "viewer";
    /// <summary>Also launches runs, and cancels and edits the runs they launched.</summary>
    public const string Researcher = "researcher";
    /// <summary>Everything, users included.</summary>
    public const string Admin = "admin";

    public static readonly string[] All = [Viewer, Researcher, Admin];

    public static int Rank(string role) => Array.IndexOf(All, role);

    /// <summary>Whether <paramref name="role"/> may do what <paramref name="needed"/> may.</summary>
    public static bool Includes(string role, string needed) => Rank(role) >= Rank(needed) && Rank(needed) >= 0;
}

/// <summary>A person who signs in; the password is stored as the framework's salted PBKDF2 hash.</summary>
public sealed class User
{
    public long Id { get; set; }
    public required string Name { get; set; }
    public required string PasswordHash { get; set; }
    public required string Role { get; set; }
    public DateTime CreatedAt { get; set; }
    public bool Disabled { get; set; }
    /// <summary>Changes with the password, or when the user's sessions are ended; a session cookie carrying another is refused.</summary>
    public string SecurityStamp { get; set; } = NewStamp();

    public static string NewStamp() => Guid.NewGuid().ToString("N");
}

/// <summary>
/// A token for scripts (Authorization: Bearer). Only its SHA-256 is stored; the prefix, shown in lists and used to
/// find the row, is not secret. Its role is at most its owner's.
/// </summary>
public sealed class ApiToken
{
    public long Id { get; set; }
    public long UserId { get; set; }
    public User? User { get; set; }
    public required string Name { get; set; }
    public required string Prefix { get; set; }
    public required string Hash { get; set; }
    public required string Role { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? LastUsedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
}
