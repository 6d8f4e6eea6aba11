using Dashboard.Training.Specs;

namespace Dashboard.Web.Components.Pages.Experiments;

public enum FieldKind { Text, Int, Number, Bool, OptionalBool, Choice, IntList, TextList }

/// <summary>
/// One field of the experiment form: its dotted spec key (also the input's name and where its errors are reported),
/// label, help, and when it applies (e.g. only for the mlp model). Optional fields left empty take the spec's default.
/// </summary>
public sealed record SpecField(string Key, string Label, FieldKind Kind, string Help = "", string[]? Choices = null,
    bool Optional = false, string? WhenKey = null, string[]? WhenValues = null)
{
    public string Id => "f-" + Key.Replace('.', '-');
    public bool AppliesTo(IReadOnlyDictionary<string, string> values) =>
        WhenKey is null || WhenValues!.Contains(values.GetValueOrDefault(WhenKey) ?? "");
}

public sealed record FieldSection(string Title, IReadOnlyList<SpecField> Fields, string Note = "");

/// <summary>Every field of the spec (DESIGN.md, "Experiment spec") as the form shows them, with help text.</summary>
public static class SpecFields
{
    private static readonly string[] Images = ["fashion_mnist", "mnist", "cifar10"];
    private static SpecField When(SpecField f, string key, params string[] values) => f with { WhenKey = key, WhenValues = values };

    public static readonly IReadOnlyList<FieldSection> Sections =
    [
        new("Experiment",
        [
            new("name", "Project prefix", FieldKind.Text, "Runs are named prefix/00001, prefix/00002, …; letters, digits, - and _"),
            new("seed", "Seed", FieldKind.Int, "Same spec, seed and device: the same loss curve"),
            new("max_epochs", "Epochs", FieldKind.Int),
            new("priority", "Priority", FieldKind.Int, "−100 to 100: a higher one trains before everything queued with a lower one"),
            new("device", "Device", FieldKind.Text, "cpu or cuda:N"),
            new("num_gpu", "GPUs", FieldKind.Int, "k > 1 trains data parallel on cuda:N … cuda:N+k−1"),
            new("fork_from", "Start from (fork)", FieldKind.Text, "A run's checkpoint to go on from, with its weights and optimizer state: project/NNNNN@epoch-NNNN or @best (Fork on a run page fills it in)", Optional: true),
            new("log_every", "Log every", FieldKind.Int, "Steps between two logged step metrics (each is one read back from the device)"),
            new("precision", "Precision", FieldKind.Choice, "bf16: forward passes in bfloat16 (weights stay fp32); tf32: CUDA only", SpecValidator.Precisions),
            new("cudnn_benchmark", "cuDNN autotuning", FieldKind.Bool, "CUDA only: time cuDNN's algorithms for each input shape and keep the fastest"),
        ]),
        new("Dataset",
        [
            new("dataset.name", "Dataset", FieldKind.Choice, "Image datasets are read from their folder (the configured one when empty)", SpecValidator.Datasets),
            When(new("dataset.n", "Points n", FieldKind.Int), "dataset.name", "hyperspheres"),
            When(new("dataset.p", "Ambient dimension p", FieldKind.Int), "dataset.name", "hyperspheres"),
            When(new("dataset.d", "Intrinsic dimension d", FieldKind.Int, "At most p"), "dataset.name", "hyperspheres"),
            When(new("dataset.classes", "Classes", FieldKind.Int), "dataset.name", "hyperspheres"),
            When(new("dataset.noise", "Noise", FieldKind.Number), "dataset.name", "hyperspheres"),
            When(new("dataset.val_fraction", "Validation share", FieldKind.Number, "Held out for validation, between 0 and 1"), "dataset.name", "hyperspheres"),
            When(new("dataset.folder", "Folder", FieldKind.Text, "Empty: the configured folder of this dataset", Optional: true), "dataset.name", Images),
            new("dataset.size", "Training subset", FieldKind.Int, "A seeded, class-stratified subset of this many samples (data-scaling studies); empty: all", Optional: true),
            new("dataset.normalize", "Normalise inputs", FieldKind.Bool, "Standardise with the training set's mean and std"),
            When(new("dataset.crop_padding", "Random crop padding", FieldKind.Int, "Pixels of zero padding before a random crop, on the device (0: off)"), "dataset.name", Images),
            When(new("dataset.flip", "Random horizontal flip", FieldKind.Bool), "dataset.name", Images),
        ]),
        new("Model",
        [
            new("model.name", "Model", FieldKind.Choice, "", SpecValidator.Models),
            When(new("model.batch_norm", "Batch norm", FieldKind.OptionalBool, "Model default: off for the MLP, on for the CNN", Optional: true), "model.name", "mlp", "cnn"),
            When(new("model.dropout", "Dropout", FieldKind.Number, "Empty: 0 (mlp) or 0.2 (mobilenet_v2)", Optional: true), "model.name", "mlp", "mobilenet_v2"),
            When(new("model.skip_steps", "Skip steps", FieldKind.Int, "Layer i also feeds layer i + skip (0: none)"), "model.name", "mlp"),
            When(new("model.output_dim", "Output dim", FieldKind.Int, "The reduced embedding before the classifier; empty: none", Optional: true), "model.name", "mlp"),
            When(new("model.width", "Width", FieldKind.Int, "Channels of the first stage, doubling per stage"), "model.name", "cnn"),
            When(new("model.depth", "Depth", FieldKind.Int, "Conv blocks per stage"), "model.name", "cnn"),
            When(new("model.stages", "Stages", FieldKind.Int, "A 2x2 max-pool after each"), "model.name", "cnn"),
            When(new("model.stem", "Stem", FieldKind.Choice, "auto: the CIFAR stem for images up to 64 pixels wide", SpecValidator.Stems), "model.name", "resnet18", "resnet34", "mobilenet_v2"),
            When(new("model.width_mult", "Width multiplier", FieldKind.Number), "model.name", "mobilenet_v2"),
        ], "The MLP's hidden layers are edited in the table below."),
        new("Loss",
        [
            new("loss_func.distance", "Distance regulariser", FieldKind.Bool, "Adds factor × Σ kernel(‖θ − θᵢ‖) over stored minima, pushing the weights away from them"),
            new("loss_func.kernel", "Kernel", FieldKind.Choice, "rbf: exp(−d²/2w²); tanh: 1 − tanh(d/w)", SpecValidator.Kernels),
            new("loss_func.factor", "Factor", FieldKind.Number),
            new("loss_func.width", "Kernel width", FieldKind.Number),
            new("loss_func.capture_epochs", "Capture minima after epochs", FieldKind.IntList, "Comma-separated, e.g. 10, 20", Optional: true),
            new("loss_func.minima_from", "Minima from runs", FieldKind.TextList, "Runs (e.g. mnist/00003, its last checkpoint) or checkpoint files, comma-separated", Optional: true),
            new("loss_func.merge", "Merge minima", FieldKind.Bool, "One merged minimum (their mean) instead of each weighted equally"),
        ]),
        new("Optimizer",
        [
            new("optimizer.name", "Optimizer", FieldKind.Choice, "", SpecValidator.Optimizers),
            new("optimizer.lr", "Learning rate", FieldKind.Number),
            When(new("optimizer.momentum", "Momentum", FieldKind.Number, "Empty: 0.9 for sgd_momentum_wdecay, 0 for sgd", Optional: true), "optimizer.name", "sgd", "sgd_momentum_wdecay"),
            new("optimizer.weight_decay", "Weight decay", FieldKind.Number),
            When(new("optimizer.regularization", "Regularization", FieldKind.Number, "The notes' name for weight decay; wins over weight decay when given", Optional: true), "optimizer.name", "sgd_momentum_wdecay"),
            When(new("optimizer.beta1", "β₁", FieldKind.Number), "optimizer.name", "adam", "adamw"),
            When(new("optimizer.beta2", "β₂", FieldKind.Number), "optimizer.name", "adam", "adamw"),
            When(new("optimizer.eps", "ε", FieldKind.Number), "optimizer.name", "adam", "adamw"),
        ], "Several optimizers over parameter groups (body, head): use optimizer.groups in the spec JSON below."),
        new("Learning-rate schedule",
        [
            new("lr_schedule.name", "Schedule", FieldKind.Choice, "As PyTorch's StepLR, ExponentialLR, CosineAnnealingLR, CosineAnnealingWarmRestarts", LrScheduleSpec.Names),
            When(new("lr_schedule.step_size", "Step size (epochs)", FieldKind.Int), "lr_schedule.name", "step"),
            When(new("lr_schedule.gamma", "Gamma", FieldKind.Number, "Factor per drop (step) or per epoch (exponential)"), "lr_schedule.name", "step", "exponential"),
            When(new("lr_schedule.t_max", "T_max", FieldKind.Int, "Empty: the epochs after the warm-up", Optional: true), "lr_schedule.name", "cosine"),
            When(new("lr_schedule.t_0", "T_0", FieldKind.Int, "Epochs until the first restart"), "lr_schedule.name", "cosine_warm_restarts"),
            When(new("lr_schedule.t_mult", "T_mult", FieldKind.Int, "Each period is this many times the one before"), "lr_schedule.name", "cosine_warm_restarts"),
            When(new("lr_schedule.eta_min", "η_min", FieldKind.Number), "lr_schedule.name", "cosine", "cosine_warm_restarts"),
            new("lr_schedule.warmup_epochs", "Warm-up epochs", FieldKind.Number, "Linear warm-up in front of the schedule"),
            new("lr_schedule.warmup_start_factor", "Warm-up start factor", FieldKind.Number),
            new("lr_schedule.per_step", "Per step", FieldKind.Bool, "Evaluate the schedule at the fractional epoch before every step"),
        ]),
        new("Batch size",
        [
            new("batch_size", "Batch size", FieldKind.Int),
            new("batch_schedule.name", "Batch schedule", FieldKind.Choice, "exponential: floor(batch_size × growth^epoch), up to the cap", BatchScheduleSpec.Names),
            When(new("batch_schedule.growth", "Growth per epoch", FieldKind.Number), "batch_schedule.name", "exponential"),
            When(new("batch_schedule.max", "Cap", FieldKind.Int, "Empty: no cap", Optional: true), "batch_schedule.name", "exponential"),
            new("batch_schedule.drop_last", "Drop the last partial batch", FieldKind.Bool, "Each epoch takes floor(n / batch) full batches; the few samples left over are not a step of their own (a small step at a large lr spikes the loss)"),
        ]),
        new("Checkpoints",
        [
            new("checkpoint.every", "Every (epochs)", FieldKind.Int, "0: only at the end"),
            new("checkpoint.keep_last", "Keep last", FieldKind.Int),
            new("checkpoint.keep_best", "Keep best by", FieldKind.Choice, "Empty: no best checkpoint", SpecValidator.EpochMetrics, Optional: true),
            new("checkpoint.mode", "Mode", FieldKind.Choice, "Empty: max for accuracies and AP, min otherwise", ["max", "min"], Optional: true),
        ]),
    ];

    public static IEnumerable<SpecField> All => Sections.SelectMany(s => s.Fields);

    /// <summary>The MLP's per-layer lists, edited as a table of rows.</summary>
    public const string LayerSize = "model.layer_size", ActFuncs = "model.act_funcs";
}
