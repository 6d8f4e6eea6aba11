using System.Text.Json.Serialization;

namespace Dashboard.Training.Specs;

// The experiment spec: JSON, snake_case, the notebooks' own vocabulary (DESIGN.md, "Experiment spec").
// Defaults are those of the notebooks; a run stores the spec with every default filled in.

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

    public int BatchSize { get; init; } = 128;
    public int MaxEpochs { get; init; } = 20;
    public long Seed { get; init; }
    /// <summary>cpu or cuda:N.</summary>
    public string Device { get; init; } = "cpu";
    /// <summary>Log step metrics every this many steps; each log is one read back from the device.</summary>
    public int LogEvery { get; init; } = 1;
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
    public int N { get; init; } = 2000;
    public int P { get; init; } = 128;
    public int D { get; init; } = 5;
    public int Classes { get; init; } = 2;
    public double Noise { get; init; } = 0.1;
    /// <summary>Share held out for validation (hyperspheres); image datasets use their own test split.</summary>
    public double ValFraction { get; init; } = 0.2;
    /// <summary>Folder of the IDX files (mnist, fashion_mnist); empty means the configured default.</summary>
    public string? Folder { get; init; }
    public static DatasetSpec FromName(string name) => new() { Name = name };
    public static string Section => "dataset";
}

public sealed record ModelSpec : INamedSpec<ModelSpec>
{
    public string Name { get; init; } = "mlp";
    /// <summary>Hidden layers; when given it must match layer_size.</summary>
    public int? Nlayers { get; init; }
    public int[] LayerSize { get; init; } = [256, 128, 100];
    /// <summary>One per hidden layer; empty means relu throughout.</summary>
    public string[] ActFuncs { get; init; } = [];
    public static ModelSpec FromName(string name) => new() { Name = name };
    public static string Section => "model";
}

public sealed record LossSpec : INamedSpec<LossSpec>
{
    public string Name { get; init; } = "softmax_loss";
    public bool Distance { get; init; }
    public double Factor { get; init; } = 0.001;
    public double Width { get; init; } = 1;
    public static LossSpec FromName(string name) => new() { Name = name };
    public static string Section => "loss_func";
}

public sealed record OptimizerSpec : INamedSpec<OptimizerSpec>
{
    public string Name { get; init; } = "sgd";
    public double Lr { get; init; } = 0.01;
    /// <summary>Default 0; sgd_momentum_wdecay means 0.9 when not given.</summary>
    public double? Momentum { get; init; }
    public double WeightDecay { get; init; }
    /// <summary>The notebooks' name for weight decay in sgd_momentum_wdecay; wins over weight_decay when given.</summary>
    public double? Regularization { get; init; }
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
