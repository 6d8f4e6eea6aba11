using System.Text.RegularExpressions;
using Dashboard.Training.Models;

namespace Dashboard.Training.Specs;

/// <summary>Checks a spec field by field; every problem is reported against its dotted path.</summary>
public static partial class SpecValidator
{
    public static readonly string[] Datasets = ["hyperspheres", "fashion_mnist", "mnist", "cifar10"];
    public static readonly string[] Models = ["mlp", "cnn", "simple_cnn", "resnet18", "resnet34", "mobilenet_v2"];
    public static readonly string[] Kernels = ["rbf", "tanh"];
    public static readonly string[] Stems = ["auto", "imagenet", "cifar"];
    public static readonly string[] Precisions = ["fp32", "tf32", "bf16"];
    public static readonly string[] ParamGroups = [ModelGraph.Body, ModelGraph.Head];
    /// <summary>Epoch metrics a best checkpoint can be chosen by.</summary>
    public static readonly string[] EpochMetrics = [.. Dashboard.Data.Metrics.MetricCatalogue.PerEpoch.Where(k => k != Dashboard.Data.Metrics.MetricCatalogue.EpochTime).Select(k => k.Name)];
    public static readonly string[] Optimizers = ["sgd", "sgd_momentum_wdecay", "adam", "adamw"];
    public static readonly string[] ActFuncs = ["relu", "tanh", "sigmoid", "gelu", "elu", "leaky_relu", "identity", "relu6"];

    // Bounds keep one spec from taking the host down; they are far above the notes' largest study.
    public const int MaxLayers = 64, MaxLayerSize = 65_536, MaxEpochs = 100_000, MaxBatch = 1_000_000;
    public const long MaxDatasetValues = 1_000_000_000;
    /// <summary>A billion parameters: 4 GB of weights, far above the notes' ResNet-34 (21.8 million).</summary>
    public const long MaxParameters = 1_000_000_000;
    /// <summary>Stored minima are kept on the device and compared with the weights at every step.</summary>
    public const int MaxMinima = 16;

    public static void Validate(ExperimentSpec s, SpecErrors e)
    {
        if (!NameRegex().IsMatch(s.Name ?? ""))
            e.Add("name", "1 to 64 letters, digits, '-' or '_'");
        ValidateDataset(s.Dataset, e);
        ValidateModel(s.Model, e);

        ValidateModelFitsData(s, e);
        ValidateLoss(s.LossFunc, s.MaxEpochs, e);
        if (s.AccFunc.Name != "softmax_accuracy")
            e.Add("acc_func.name", "must be softmax_accuracy");

        ValidateOptimizer(s.Optimizer, "optimizer", e);
        var groups = s.Optimizer.Groups ?? [];
        for (int i = 0; i < groups.Length; i++)
        {
            var path = $"optimizer.groups[{i}]";
            ValidateOptimizer(groups[i], path, e);
            if (groups[i].Groups is not null) e.Add(path + ".groups", "groups cannot be nested");
            if (!ParamGroups.Contains(groups[i].Params ?? "")) e.Add(path + ".params", $"must name a parameter group: {string.Join(" or ", ParamGroups)}");
            else if (groups.Take(i).Any(g => g.Params == groups[i].Params)) e.Add(path + ".params", $"'{groups[i].Params}' already has an optimizer");
        }
        if (s.Optimizer.Params is not (null or "all")) e.Add("optimizer.params", "the top-level optimizer takes every parameter not in a group; leave params out");
        ScheduleValidation.Validate(s.LrSchedule, s.BatchSchedule, s.MaxEpochs, e);
        ValidateCheckpoint(s.Checkpoint, e);
        if (s.NumGpu < 1) e.Add("num_gpu", "must be at least 1");
        else if (s.NumGpu > 1 && !(s.Device ?? "").StartsWith("cuda:")) e.Add("num_gpu", "data parallel training over several GPUs needs device cuda:N");

        if (s.BatchSize is < 1 or > MaxBatch) e.Add("batch_size", $"must be between 1 and {MaxBatch:N0}");
        if (s.MaxEpochs is < 1 or > MaxEpochs) e.Add("max_epochs", $"must be between 1 and {MaxEpochs:N0}");
        if (s.LogEvery < 1) e.Add("log_every", "must be at least 1");
        if (s.Priority is < -ExperimentSpec.MaxPriority or > ExperimentSpec.MaxPriority)
            e.Add("priority", $"must be between -{ExperimentSpec.MaxPriority} and {ExperimentSpec.MaxPriority}");
        if (!DeviceRegex().IsMatch(s.Device ?? "")) e.Add("device", "must be cpu or cuda:N");
        if (s.ForkFrom is { } fork && ForkReference.Parse(fork) is null)
            e.Add("fork_from", "must name a run's checkpoint: project/NNNNN@epoch-NNNN or project/NNNNN@best (the run page lists them)");
        bool cuda = (s.Device ?? "").StartsWith("cuda:");
        if (!Precisions.Contains(s.Precision)) e.Add("precision", $"unknown precision '{s.Precision}'; one of {string.Join(", ", Precisions)}");
        else if (s.Precision == "tf32" && !cuda) e.Add("precision", "tf32 is a CUDA setting (Ampere GPUs or newer); on the CPU use fp32 or bf16");
        if (s.CudnnBenchmark && !cuda) e.Add("cudnn_benchmark", "cuDNN autotuning applies to CUDA devices only");
    }

    private static void ValidateOptimizer(OptimizerSpec o, string path, SpecErrors e)
    {
        if (!Optimizers.Contains(o.Name)) e.Add(path + ".name", $"unknown optimizer '{o.Name}'; one of {string.Join(", ", Optimizers)}");
        if (!(o.Lr > 0) || !double.IsFinite(o.Lr)) e.Add(path + ".lr", "must be a positive number");
        if (o.Momentum is { } m && !(m >= 0 && m < 1)) e.Add(path + ".momentum", "must be in [0, 1)");
        if (!(o.WeightDecay >= 0) || !double.IsFinite(o.WeightDecay)) e.Add(path + ".weight_decay", "must be zero or positive");
        if (o.Regularization is { } r && (!(r >= 0) || !double.IsFinite(r))) e.Add(path + ".regularization", "must be zero or positive");
        if (!(o.Beta1 >= 0 && o.Beta1 < 1)) e.Add(path + ".beta1", "must be in [0, 1)");
        if (!(o.Beta2 >= 0 && o.Beta2 < 1)) e.Add(path + ".beta2", "must be in [0, 1)");
        if (!(o.Eps > 0) || !double.IsFinite(o.Eps)) e.Add(path + ".eps", "must be a positive number");
    }

    private static void ValidateLoss(LossSpec l, int maxEpochs, SpecErrors e)
    {
        if (l.Name is not ("softmax_loss" or "cross_entropy"))
            e.Add("loss_func.name", "must be softmax_loss (cross-entropy)");
        if (!Kernels.Contains(l.Kernel)) e.Add("loss_func.kernel", $"unknown kernel '{l.Kernel}'; one of {string.Join(", ", Kernels)}");
        if (!(l.Factor >= 0) || !double.IsFinite(l.Factor)) e.Add("loss_func.factor", "must be zero or positive");
        if (!(l.Width > 0) || !double.IsFinite(l.Width)) e.Add("loss_func.width", "must be a positive number");
        if (l.CaptureEpochs is null || l.CaptureEpochs.Any(c => c < 1 || c > maxEpochs))
            e.Add("loss_func.capture_epochs", $"epochs must be between 1 and max_epochs ({maxEpochs})");
        if (l.MinimaFrom is null || l.MinimaFrom.Any(string.IsNullOrWhiteSpace))
            e.Add("loss_func.minima_from", "a list of checkpoint files, runs (project/00001) or captured minima (project/00001@epoch-3)");
        foreach (var reference in (l.MinimaFrom ?? []).Where(r => r is not null && MinimumReference.LooksLikeOne(r) && MinimumReference.Parse(r) is null))
            e.Add("loss_func.minima_from", $"'{reference}': a captured minimum is named {MinimumReference.Format}");
        if ((l.CaptureEpochs?.Length ?? 0) + (l.MinimaFrom?.Length ?? 0) > MaxMinima)
            e.Add("loss_func.capture_epochs", $"at most {MaxMinima} minima in all (capture_epochs and minima_from)");
        if (l.Distance && (l.CaptureEpochs?.Length ?? 0) == 0 && (l.MinimaFrom?.Length ?? 0) == 0)
            e.Add("loss_func.distance", "needs minima to keep away from: capture_epochs, minima_from, or both");
    }

    private static void ValidateCheckpoint(CheckpointSpec c, SpecErrors e)
    {
        if (c.Every < 0) e.Add("checkpoint.every", "must be zero (only at the end) or a number of epochs");
        if (c.KeepLast < 1) e.Add("checkpoint.keep_last", "must be at least 1");
        if (c.KeepBest is { } k && !EpochMetrics.Contains(k)) e.Add("checkpoint.keep_best", $"unknown metric '{k}'; one of {string.Join(", ", EpochMetrics)}");
        if (c.Mode is not (null or "max" or "min")) e.Add("checkpoint.mode", "must be max or min");
    }

    private static void ValidateModelFitsData(ExperimentSpec s, SpecErrors e)
    {
        // Built only from fields already found sound: a bad depth or width would build a monster before it is refused.
        if (e.Fields.Any(f => f == "dataset" || f.StartsWith("dataset.") || f == "model" || f.StartsWith("model."))) return;
        if (s.Dataset is null || s.Model is null) return;
        try
        {
            var shape = Dashboard.Training.Datasets.DatasetLoader.InputShapeOf(s.Dataset);
            if (s.Dataset.Name == "hyperspheres" && (s.Dataset.CropPadding > 0 || s.Dataset.Flip))
                e.Add("dataset.crop_padding", "random crop and flip are for image datasets");
            var graph = ModelFactory.Build(s.Model, shape, Dashboard.Training.Datasets.DatasetLoader.ClassesOf(s.Dataset));
            if (graph.ParameterCount > MaxParameters)
                e.Add("model.name", $"this model has {graph.ParameterCount:N0} parameters; at most {MaxParameters:N0}");
            if (s.BatchSize < 2 && graph.Nodes.Any(n => n.Op == GraphOp.BatchNorm))
                e.Add("batch_size", "batch norm needs at least 2 samples a batch");
        }
        catch (Exception ex) when (ex is ArgumentException or ArithmeticException)
        {
            e.Add("model.name", ex.Message);
        }
    }

    private static void ValidateDataset(DatasetSpec? d, SpecErrors e)
    {
        if (d is null) { e.Add("dataset", "required"); return; }
        if (!Datasets.Contains(d.Name)) { e.Add("dataset.name", $"unknown dataset '{d.Name}'; one of {string.Join(", ", Datasets)}"); return; }
        if (!(d.ValFraction > 0 && d.ValFraction < 1)) e.Add("dataset.val_fraction", "must be between 0 and 1");
        if (d.Size is { } size && size < 10) e.Add("dataset.size", "must be at least 10 samples");
        if (d.CropPadding is < 0 or > 16) e.Add("dataset.crop_padding", "must be between 0 and 16 pixels");
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
        if (m.SkipSteps < 0) e.Add("model.skip_steps", "must be zero or positive");
        if (m.OutputDim is < 1 or > MaxLayerSize) e.Add("model.output_dim", $"must be between 1 and {MaxLayerSize:N0}");
        if (m.Dropout is { } p && !(p >= 0 && p < 1)) e.Add("model.dropout", "must be in [0, 1)");
        if (m.Width is < 1 or > 4096) e.Add("model.width", "must be between 1 and 4,096 channels");
        if (m.Depth is < 1 or > 64) e.Add("model.depth", "must be between 1 and 64 blocks");
        if (m.Stages is < 1 or > 8) e.Add("model.stages", "must be between 1 and 8");
        if (!Stems.Contains(m.Stem)) e.Add("model.stem", $"unknown stem '{m.Stem}'; one of {string.Join(", ", Stems)}");
        if (!(m.WidthMult > 0 && m.WidthMult <= 4)) e.Add("model.width_mult", "must be in (0, 4]");
        if (m.ActFuncs is null) e.Add("model.act_funcs", "must be a list");
        else
        {
            if (m.Name == "mlp" && m.ActFuncs.Length != 0 && m.ActFuncs.Length != layers)
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
        "relu6" => Activation.Relu6,
        _ => throw new ArgumentException($"unknown activation '{name}'"),
    };

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex NameRegex();

    [GeneratedRegex("^(cpu|cuda:[0-9]{1,2})$")]
    private static partial Regex DeviceRegex();
}
