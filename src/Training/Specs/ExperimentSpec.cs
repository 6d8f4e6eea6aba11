using System.Text.Json.Serialization;

namespace Dashboard.Training.Specs;

// The experiment spec: JSON, snake_case, the notebooks' own vocabulary (DESIGN.md, "Experiment spec").
// Defaults are those of the notebooks. A field used by some kinds only (model.width: cnn) says so with [AppliesTo];
// a run stores the fields that apply to it, defaults filled in (SpecApplicability).

public sealed record ExperimentSpec
{
    /// <summary>The project prefix: runs are named name/00001, name/00002, ...</summary>
    public string Name { get; init; } = "exp";

    [JsonConverter(typeof(NameOrObjectConverter<DatasetSpec>))]
    public DatasetSpec? Dataset { get; init; }

    [JsonConverter(typeof(NameOrObjectConverter<ModelSpec>))]
    public ModelSpec? Model { get; init; }

    [JsonConverter(typeof(NameOrObjectConverter<LossSpec>))]
    public LossSpec LossFunc { get; init; } = new();

    [JsonConverter(typeof(NameOrObjectConverter<OptimizerSpec>))]
    public OptimizerSpec Optimizer { get; init; } = new();

    [JsonConverter(typeof(NameOrObjectConverter<AccuracySpec>))]
    public AccuracySpec AccFunc { get; init; } = new();

    [JsonConverter(typeof(NameOrObjectConverter<LrScheduleSpec>))]
    public LrScheduleSpec LrSchedule { get; init; } = new();

    public int BatchSize { get; init; } = 128;

    [JsonConverter(typeof(NameOrObjectConverter<BatchScheduleSpec>))]
    public BatchScheduleSpec BatchSchedule { get; init; } = new();

    public int MaxEpochs { get; init; } = 20;
    public long Seed { get; init; }
    /// <summary>cpu or cuda:N; with num_gpu = k, cuda:N to cuda:N+k-1 train data parallel.</summary>
    public string Device { get; init; } = "cpu";
    public int NumGpu { get; init; } = 1;
    public CheckpointSpec Checkpoint { get; init; } = new();
    /// <summary>
    /// fp32, tf32 (CUDA: matmuls and convolutions in TF32) or bf16 (autocast: forward passes in bfloat16, weights and
    /// optimizer state in fp32), on <see cref="SpecValidator.Precisions"/>.
    /// </summary>
    public string Precision { get; init; } = "fp32";
    /// <summary>cuDNN times its convolution algorithms for each new input shape and keeps the fastest (CUDA only).</summary>
    public bool CudnnBenchmark { get; init; }
    /// <summary>
    /// A fork: start from another run's checkpoint, "project/NNNNN@epoch-NNNN" or "...@best", with its weights and
    /// optimizer state, going on at the step after it. Training settings may differ from that run's; the model may not.
    /// </summary>
    public string? ForkFrom { get; init; }
    /// <summary>Log step metrics every this many steps; each log is one read back from the device.</summary>
    public int LogEvery { get; init; } = 1;
    /// <summary>Queue order: a higher priority trains before everything queued with a lower one; FIFO within one.</summary>
    public int Priority { get; init; }
    public const int MaxPriority = 100;
    /// <summary>Many runs from this one spec: a grid or random draws over dotted keys (<see cref="SweepSpec"/>).</summary>
    public SweepSpec? Sweep { get; init; }
}

/// <summary>A spec section that may be written as a bare name ("mnist") meaning that name with its defaults.</summary>
public interface INamedSpec<TSelf> where TSelf : INamedSpec<TSelf>
{
    string Name { get; }
    static abstract TSelf FromName(string name);
    /// <summary>The key this section sits under in a spec, for error paths.</summary>
    static abstract string Section { get; }
}

public sealed record DatasetSpec : INamedSpec<DatasetSpec>
{
    public string Name { get; init; } = "hyperspheres";
    // hyperspheres: n points on `classes` spheres of intrinsic dimension d, embedded in p dimensions.
    [AppliesTo("hyperspheres")]
    public int N { get; init; } = 2000;
    [AppliesTo("hyperspheres")]
    public int P { get; init; } = 128;
    [AppliesTo("hyperspheres")]
    public int D { get; init; } = 5;
    [AppliesTo("hyperspheres")]
    public int Classes { get; init; } = 2;
    [AppliesTo("hyperspheres")]
    public double Noise { get; init; } = 0.1;
    /// <summary>Share held out for validation (hyperspheres); image datasets use their own test split.</summary>
    [AppliesTo("hyperspheres")]
    public double ValFraction { get; init; } = 0.2;
    /// <summary>Folder of the IDX files (mnist, fashion_mnist) or CIFAR-10 batches; empty means the configured default.</summary>
    [AppliesTo("mnist", "fashion_mnist", "cifar10")]
    public string? Folder { get; init; }
    /// <summary>Train on a seeded, class-stratified subset of this many samples (data-scaling studies); null means all.</summary>
    public int? Size { get; init; }
    /// <summary>Standardise inputs with the training set's mean and std per channel (per feature set for flat data).</summary>
    public bool Normalize { get; init; } = true;
    /// <summary>Images: random crop after zero padding by this many pixels, drawn per sample on the device (0: off).</summary>
    [AppliesTo("mnist", "fashion_mnist", "cifar10")]
    public int CropPadding { get; init; }
    /// <summary>Images: random horizontal flip with probability 1/2.</summary>
    [AppliesTo("mnist", "fashion_mnist", "cifar10")]
    public bool Flip { get; init; }
    public static DatasetSpec FromName(string name) => new() { Name = name };
    public static string Section => "dataset";
}

public sealed record ModelSpec : INamedSpec<ModelSpec>
{
    public string Name { get; init; } = "mlp";
    /// <summary>Hidden layers; when given it must match layer_size.</summary>
    [AppliesTo("mlp")]
    public int? Nlayers { get; init; }
    [AppliesTo("mlp")]
    public int[] LayerSize { get; init; } = [256, 128, 100];
    /// <summary>One per hidden layer; empty means relu throughout.</summary>
    [AppliesTo("mlp", "cnn")]
    public string[] ActFuncs { get; init; } = [];
    /// <summary>Batch norm after every hidden linear layer (mlp) or conv (cnn); null means the model's default (mlp off, cnn on).</summary>
    [AppliesTo("mlp", "cnn")]
    public bool? BatchNorm { get; init; }
    /// <summary>Dropout after each hidden layer (mlp) or before the classifier (mobilenet_v2); null means 0 (mlp) or 0.2 (mobilenet_v2).</summary>
    [AppliesTo("mlp", "mobilenet_v2")]
    public double? Dropout { get; init; }
    /// <summary>mlp: hidden layer i's output is added to layer i+skip_steps's (0: no skips).</summary>
    [AppliesTo("mlp")]
    public int SkipSteps { get; init; }
    /// <summary>mlp: the reduced embedding before the classifier (null: none).</summary>
    [AppliesTo("mlp")]
    public int? OutputDim { get; init; }
    /// <summary>cnn: channels of the first stage, doubling per stage.</summary>
    [AppliesTo("cnn")]
    public int Width { get; init; } = 32;
    /// <summary>cnn: conv blocks per stage.</summary>
    [AppliesTo("cnn")]
    public int Depth { get; init; } = 1;
    /// <summary>cnn: stages, with a 2x2 max-pool after each.</summary>
    [AppliesTo("cnn")]
    public int Stages { get; init; } = 2;
    /// <summary>resnet18/34, mobilenet_v2: "imagenet", "cifar" or "auto" (cifar for images up to 64 pixels wide).</summary>
    [AppliesTo("resnet18", "resnet34", "mobilenet_v2")]
    public string Stem { get; init; } = "auto";
    /// <summary>mobilenet_v2: width multiplier.</summary>
    [AppliesTo("mobilenet_v2")]
    public double WidthMult { get; init; } = 1.0;
    public static ModelSpec FromName(string name) => new() { Name = name };
    public static string Section => "model";
}

public sealed record LossSpec : INamedSpec<LossSpec>
{
    public string Name { get; init; } = "softmax_loss";
    /// <summary>Adds factor * sum over stored minima of kernel(||theta - theta_i||), pushing the weights away from them.</summary>
    public bool Distance { get; init; }
    public double Factor { get; init; } = 0.001;
    public double Width { get; init; } = 1;
    /// <summary>rbf: exp(-d^2 / (2 width^2)); tanh: 1 - tanh(d / width).</summary>
    public string Kernel { get; init; } = "rbf";
    /// <summary>Epochs at whose end the current weights are stored as a minimum.</summary>
    public int[] CaptureEpochs { get; init; } = [];
    /// <summary>Minima taken from other runs' checkpoints: a checkpoint file, or a run such as "mnist/00003" (its last checkpoint).</summary>
    public string[] MinimaFrom { get; init; } = [];
    /// <summary>Merge all stored minima into one (their mean) instead of weighting each equally.</summary>
    public bool Merge { get; init; }
    public static LossSpec FromName(string name) => new() { Name = name };
    public static string Section => "loss_func";
}

public sealed record OptimizerSpec : INamedSpec<OptimizerSpec>
{
    public string Name { get; init; } = "sgd";
    public double Lr { get; init; } = 0.01;
    /// <summary>Default 0; sgd_momentum_wdecay means 0.9 when not given.</summary>
    [AppliesTo("sgd", "sgd_momentum_wdecay")]
    public double? Momentum { get; init; }
    public double WeightDecay { get; init; }
    /// <summary>The notebooks' name for weight decay in sgd_momentum_wdecay; wins over weight_decay when given.</summary>
    public double? Regularization { get; init; }
    [AppliesTo("adam", "adamw")]
    public double Beta1 { get; init; } = 0.9;
    [AppliesTo("adam", "adamw")]
    public double Beta2 { get; init; } = 0.999;
    [AppliesTo("adam", "adamw")]
    public double Eps { get; init; } = 1e-8;
    /// <summary>Inside groups: the parameter group this optimizer updates ("body" or "head").</summary>
    public string? Params { get; init; }
    /// <summary>Further optimizers over named parameter groups, e.g. the head with its own lr; the top-level optimizer takes the rest.</summary>
    public OptimizerSpec[]? Groups { get; init; }
    public static OptimizerSpec FromName(string name) => new() { Name = name };
    public static string Section => "optimizer";

    [JsonIgnore] public double EffectiveMomentum => Momentum ?? (Name == "sgd_momentum_wdecay" ? 0.9 : 0);
    [JsonIgnore] public double EffectiveWeightDecay => Regularization ?? WeightDecay;
}

public sealed record AccuracySpec : INamedSpec<AccuracySpec>
{
    public string Name { get; init; } = "softmax_accuracy";
    public static AccuracySpec FromName(string name) => new() { Name = name };
    public static string Section => "acc_func";
}

public sealed record CheckpointSpec
{
    /// <summary>Save every this many epochs (0: only at the end). A checkpoint is always written at the end.</summary>
    public int Every { get; init; }
    /// <summary>Periodic checkpoints kept on disk (the newest ones); the last and the best are always kept.</summary>
    public int KeepLast { get; init; } = 2;
    /// <summary>Keep the checkpoint with the best value of this epoch metric (e.g. val_accuracy); null: none.</summary>
    public string? KeepBest { get; init; }
    /// <summary>max or min; null picks max for accuracies and average precision, min otherwise.</summary>
    public string? Mode { get; init; }

    [JsonIgnore] public bool Maximise => Mode is null ? KeepBest is { } k && Dashboard.Data.Metrics.MetricCatalogue.Describe(k).HigherIsBetter : Mode == "max";
}
