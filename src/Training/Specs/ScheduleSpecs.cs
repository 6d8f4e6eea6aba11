using System.Text.Json.Serialization;

namespace Dashboard.Training.Specs;

// Learning-rate and batch-size schedules (Engine/Schedules.cs computes them; ScheduleValidation checks them).
// The JSON names follow PyTorch's arguments (t_0, t_mult, eta_min, ...). The snake_case policy would write
// T0 as "t0", so the names with digits or single letters are given explicitly.

/// <summary>
/// The learning rate over a run: one of PyTorch's torch.optim.lr_scheduler schedules, optionally behind a linear
/// warm-up. "step" alone means { "name": "step" } with the defaults below.
/// </summary>
public sealed record LrScheduleSpec : INamedSpec<LrScheduleSpec>
{
    public static readonly string[] Names = ["constant", "step", "exponential", "cosine", "cosine_warm_restarts"];

    /// <summary>constant, step, exponential, cosine or cosine_warm_restarts.</summary>
    public string Name { get; init; } = "constant";

    /// <summary>step: epochs between two drops by <see cref="Gamma"/> (StepLR's step_size).</summary>
    [AppliesTo("step")]
    public int StepSize { get; init; } = 30;

    /// <summary>step: factor per drop; exponential: factor per epoch.</summary>
    [AppliesTo("step", "exponential")]
    public double Gamma { get; init; } = 0.1;

    /// <summary>cosine: the half-period in epochs (CosineAnnealingLR's T_max); null means max_epochs minus warmup_epochs.</summary>
    [JsonPropertyName("t_max")]
    [AppliesTo("cosine")]
    public int? TMax { get; init; }

    /// <summary>cosine_warm_restarts: epochs until the first restart (T_0).</summary>
    [JsonPropertyName("t_0")]
    [AppliesTo("cosine_warm_restarts")]
    public int T0 { get; init; } = 10;

    /// <summary>cosine_warm_restarts: each period is this many times the one before (T_mult).</summary>
    [JsonPropertyName("t_mult")]
    [AppliesTo("cosine_warm_restarts")]
    public int TMult { get; init; } = 1;

    /// <summary>cosine, cosine_warm_restarts: the lowest learning rate.</summary>
    [JsonPropertyName("eta_min")]
    [AppliesTo("cosine", "cosine_warm_restarts")]
    public double EtaMin { get; init; }

    /// <summary>Epochs of linear warm-up in front of the schedule, which then starts at the end of the warm-up.</summary>
    [JsonPropertyName("warmup_epochs")]
    public double WarmupEpochs { get; init; }

    /// <summary>The warm-up starts at base lr times this.</summary>
    [JsonPropertyName("warmup_start_factor")]
    public double WarmupStartFactor { get; init; } = 0.01;

    /// <summary>
    /// false: the lr changes only at epoch boundaries (scheduler.step() once per epoch); true: the schedule is
    /// evaluated at the fractional epoch epoch + i / steps_per_epoch before every step.
    /// </summary>
    [JsonPropertyName("per_step")]
    public bool PerStep { get; init; }

    public static LrScheduleSpec FromName(string name) => new() { Name = name };
    public static string Section => "lr_schedule";
}

/// <summary>
/// The batch size over a run: constant, or exponential growth per epoch with a cap
/// (the study that grows the batch instead of decaying the lr: 128 x 1.037 per epoch up to 4526).
/// </summary>
public sealed record BatchScheduleSpec : INamedSpec<BatchScheduleSpec>
{
    public static readonly string[] Names = ["constant", "exponential"];

    /// <summary>constant or exponential.</summary>
    public string Name { get; init; } = "constant";

    /// <summary>exponential: factor per epoch; the batch size at epoch e is floor(batch_size * growth^e).</summary>
    [AppliesTo("exponential")]
    public double Growth { get; init; } = 1.037;

    /// <summary>exponential: the largest batch size; null means no cap.</summary>
    [AppliesTo("exponential")]
    public int? Max { get; init; }

    /// <summary>
    /// Drop each epoch's last batch when it is smaller than the batch size (PyTorch's DataLoader drop_last): a few
    /// samples at a large lr make a noisy step that spikes the loss. Epochs then take floor(n / batch) steps.
    /// </summary>
    public bool DropLast { get; init; }

    public static BatchScheduleSpec FromName(string name) => new() { Name = name };
    public static string Section => "batch_schedule";
}
