using System.Text.RegularExpressions;
using Dashboard.Training.Models;

namespace Dashboard.Training.Specs;

/// <summary>Checks a spec field by field; every problem is reported against its dotted path.</summary>
public static partial class SpecValidator
{
    public static readonly string[] Datasets = ["hyperspheres", "fashion_mnist", "mnist"];
    public static readonly string[] Models = ["mlp"];
    public static readonly string[] Optimizers = ["sgd", "sgd_momentum_wdecay", "adam", "adamw"];
    public static readonly string[] ActFuncs = ["relu", "tanh", "sigmoid", "gelu", "elu", "leaky_relu", "identity"];

    // Bounds keep one spec from taking the host down; they are far above the notes' largest study.
    public const int MaxLayers = 64, MaxLayerSize = 65_536, MaxEpochs = 100_000, MaxBatch = 1_000_000;
    public const long MaxDatasetValues = 1_000_000_000;

    public static void Validate(ExperimentSpec s, SpecErrors e)
    {
        if (!NameRegex().IsMatch(s.Name ?? ""))
            e.Add("name", "1 to 64 letters, digits, '-' or '_'");
        ValidateDataset(s.Dataset, e);
        ValidateModel(s.Model, e);

        if (s.LossFunc.Name is not ("softmax_loss" or "cross_entropy"))
            e.Add("loss_func.name", "must be softmax_loss (cross-entropy)");
        if (s.LossFunc.Distance)
            e.Add("loss_func.distance", "the distance regulariser is not available in this version");
        if (s.AccFunc.Name != "softmax_accuracy")
            e.Add("acc_func.name", "must be softmax_accuracy");

        var o = s.Optimizer;
        if (!Optimizers.Contains(o.Name)) e.Add("optimizer.name", $"unknown optimizer '{o.Name}'; one of {string.Join(", ", Optimizers)}");
        if (!(o.Lr > 0) || !double.IsFinite(o.Lr)) e.Add("optimizer.lr", "must be a positive number");
        if (o.Momentum is { } m && !(m >= 0 && m < 1)) e.Add("optimizer.momentum", "must be in [0, 1)");
        if (!(o.WeightDecay >= 0) || !double.IsFinite(o.WeightDecay)) e.Add("optimizer.weight_decay", "must be zero or positive");
        if (o.Regularization is { } r && (!(r >= 0) || !double.IsFinite(r))) e.Add("optimizer.regularization", "must be zero or positive");

        if (s.BatchSize is < 1 or > MaxBatch) e.Add("batch_size", $"must be between 1 and {MaxBatch:N0}");
        if (s.MaxEpochs is < 1 or > MaxEpochs) e.Add("max_epochs", $"must be between 1 and {MaxEpochs:N0}");
        if (s.LogEvery < 1) e.Add("log_every", "must be at least 1");
        if (!DeviceRegex().IsMatch(s.Device ?? "")) e.Add("device", "must be cpu or cuda:N");
    }

    private static void ValidateDataset(DatasetSpec? d, SpecErrors e)
    {
        if (d is null) { e.Add("dataset", "required"); return; }
        if (!Datasets.Contains(d.Name)) { e.Add("dataset.name", $"unknown dataset '{d.Name}'; one of {string.Join(", ", Datasets)}"); return; }
        if (!(d.ValFraction > 0 && d.ValFraction < 1)) e.Add("dataset.val_fraction", "must be between 0 and 1");
        if (d.Name != "hyperspheres") return;
        if (d.Classes < 2) e.Add("dataset.classes", "must be at least 2");
        if (d.N < 2 * Math.Max(d.Classes, 1)) e.Add("dataset.n", "must be at least 2 points per class");
        if (d.P < 1) e.Add("dataset.p", "must be at least 1");
        if (d.D < 1) e.Add("dataset.d", "must be at least 1");
        else if (d.D > d.P) e.Add("dataset.d", "the intrinsic dimension d cannot exceed the ambient dimension p");
        if (!(d.Noise >= 0) || !double.IsFinite(d.Noise)) e.Add("dataset.noise", "must be zero or positive");
        if ((long)d.N * d.P > MaxDatasetValues) e.Add("dataset.n", $"n x p must stay under {MaxDatasetValues:N0} values");
    }

    private static void ValidateModel(ModelSpec? m, SpecErrors e)
    {
        if (m is null) { e.Add("model", "required"); return; }
        if (!Models.Contains(m.Name)) { e.Add("model.name", $"unknown model '{m.Name}'; one of {string.Join(", ", Models)}"); return; }
        if (m.LayerSize is null || m.LayerSize.Length > MaxLayers) e.Add("model.layer_size", $"a list of at most {MaxLayers} sizes");
        else if (m.LayerSize.Any(n => n is < 1 or > MaxLayerSize)) e.Add("model.layer_size", $"every size must be between 1 and {MaxLayerSize:N0}");
        var layers = m.LayerSize?.Length ?? 0;
        if (m.Nlayers is { } n && n != layers) e.Add("model.nlayers", $"is {n} but layer_size lists {layers} layers");
        if (m.ActFuncs is null) e.Add("model.act_funcs", "must be a list");
        else
        {
            if (m.ActFuncs.Length != 0 && m.ActFuncs.Length != layers)
                e.Add("model.act_funcs", $"lists {m.ActFuncs.Length} activations for {layers} layers (layer_size)");
            foreach (var a in m.ActFuncs.Where(a => !ActFuncs.Contains(a)).Distinct())
                e.Add("model.act_funcs", $"unknown activation '{a}'; one of {string.Join(", ", ActFuncs)}");
        }
    }

    public static Activation ParseActivation(string name) => name switch
    {
        "relu" => Activation.Relu,
        "tanh" => Activation.Tanh,
        "sigmoid" => Activation.Sigmoid,
        "gelu" => Activation.Gelu,
        "elu" => Activation.Elu,
        "leaky_relu" => Activation.LeakyRelu,
        "identity" => Activation.Identity,
        _ => throw new ArgumentException($"unknown activation '{name}'"),
    };

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex NameRegex();

    [GeneratedRegex("^(cpu|cuda:[0-9]{1,2})$")]
    private static partial Regex DeviceRegex();
}
