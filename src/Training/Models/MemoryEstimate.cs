using System.Globalization;
using Dashboard.Training.Datasets;
using Dashboard.Training.Engine;
using Dashboard.Training.Specs;

namespace Dashboard.Training.Models;

/// <summary>
/// The memory a run takes on its device, in bytes, from its spec alone (before launch): the weights, their gradients,
/// the optimizer's state, stored minima, the dataset held on the device, and the activations and batch of one step at
/// the largest batch the run reaches. float32 values (4 bytes), int64 labels and indices (8 bytes).
/// It counts what the trainer and the shim allocate (Trainer, Native/src); what it leaves out, each small or brief:
/// the process itself (.NET runtime and libtorch's code, some 230 MB of resident memory on the CPU), batch-norm
/// running statistics, cuDNN's workspaces, the CUDA allocator's cache and fragmentation,
/// checkpoint writes, and the host copies made while loading minima. The copies named "temporaries" come and go
/// within a step (or while the data loads) and are counted at the largest moment.
/// </summary>
/// <param name="Minima">Stored minima of the distance regulariser (capture_epochs and minima_from), as many as the run ends with.</param>
/// <param name="Activations">Forward outputs that autograd keeps for backward, plus backward's gradient buffers, at <see cref="BatchSize"/>.</param>
/// <param name="Batch">The batch drawn from the device's dataset (and its augmented copies), at <see cref="BatchSize"/>.</param>
/// <param name="Temporaries">What a step allocates for a moment on top of the activations at its peak: backward's new
/// gradient of the largest weight before it is added into the stored one; or, where larger, the optimizer step's,
/// the distance term's or evaluation's buffers, which come after backward has freed the activations and so are
/// counted here less those activations (the parts then add up to the peak).</param>
/// <param name="BatchSize">The largest batch the run trains with (its batch schedule's cap, no more than the training samples).</param>
public sealed record MemoryEstimate(long Parameters, long Gradients, long OptimizerState, long Minima, long Dataset,
    long Activations, long Batch, long Temporaries, long BatchSize, string Device)
{
    private const long Float = 4, Long = 8;

    /// <summary>The peak: the sum of the parts.</summary>
    public long Total => Persistent + Activations + Batch + Temporaries;

    /// <summary>What the run holds whatever its batch size.</summary>
    public long Persistent => Parameters + Gradients + OptimizerState + Minima + Dataset;

    public static MemoryEstimate For(ExperimentSpec spec)
    {
        // The graph the run trains and the one ModelSizes counts: one parameter count for the page, the table and this.
        var graph = ModelFactory.BuildFor(spec);
        var dataset = spec.Dataset!;
        bool cpu = !spec.Device.StartsWith("cuda", StringComparison.Ordinal);
        long parameters = graph.ParameterCount;
        long features = DatasetLoader.InputShapeOf(dataset).Aggregate(1L, (a, b) => a * b);
        int classes = DatasetLoader.ClassesOf(dataset);

        var (trainAll, validation) = DatasetLoader.SamplesOf(dataset);
        long train = dataset.Size is { } size ? Math.Min(size, trainAll) : trainAll;
        // Inputs and labels of both splits, and the training split's shuffled order.
        long data = (train + validation) * (features * Float + Long) + train * Long;

        long batch = LargestBatch(spec, train);
        // Data parallel (num_gpu = k): every device takes its share of the batch; the first one also holds the
        // whole drawn batch, the dataset and the optimizer, so it is the one estimated.
        long share = (batch + spec.NumGpu - 1) / Math.Max(1, spec.NumGpu);

        var (state, optimizerTemporaries) = Optimizer(graph, spec.Optimizer);
        var (minima, distanceTemporaries) = MinimaOf(spec, parameters, cpu);
        long evaluation = Evaluation(graph, batch, validation, classes);
        long activations = TrainingActivations(graph, classes) * share * Float;
        long batchBytes = BatchBytes(dataset, features, batch);
        // Backward adds each weight's new gradient into the stored one, and a convolution unfolds its input again.
        long backward = Math.Max(graph.Nodes.Max(LargestTensor), graph.Nodes.Max(ConvColumns) * share) * Float;
        long afterBackward = Math.Max(optimizerTemporaries, Math.Max(distanceTemporaries, evaluation));

        return new MemoryEstimate(
            Parameters: parameters * Float,
            Gradients: parameters * Float,
            OptimizerState: state,
            Minima: minima,
            Dataset: data,
            Activations: activations,
            Batch: batchBytes,
            Temporaries: Math.Max(Math.Max(backward, afterBackward - activations - batchBytes),
                cpu ? Loading(dataset, trainAll + validation, features) - (2 * parameters * Float + state + minima) - activations - batchBytes : 0),
            BatchSize: batch,
            Device: spec.Device);
    }

    /// <summary>Null when the spec does not build (a stored spec of a model or dataset this version does not know).</summary>
    public static MemoryEstimate? TryFor(ExperimentSpec spec)
    {
        try { return For(spec); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or NullReferenceException) { return null; }
    }

    public static MemoryEstimate? TryFor(string specJson)
    {
        try { return TryFor(SpecJson.Parse(specJson)); }
        catch (InvalidSpecException) { return null; }
    }

    /// <summary>"≈ 11.3 GB: parameters 3.7 GB, gradients 3.7 GB, dataset 221 MB, activations 31.6 MB at batch 128, batch 401 kB, temporaries 3.6 GB".</summary>
    public string Describe()
    {
        var parts = new List<string>();
        void Part(string name, long bytes, string suffix = "") { if (bytes > 0) parts.Add($"{name} {Bytes(bytes)}{suffix}"); }
        Part("parameters", Parameters);
        Part("gradients", Gradients);
        Part("optimizer state", OptimizerState);
        Part("minima", Minima);
        Part("dataset", Dataset);
        Part("activations", Activations, $" at batch {BatchSize.ToString("N0", CultureInfo.InvariantCulture)}");
        Part("batch", Batch);
        Part("temporaries", Temporaries);
        return $"≈ {Bytes(Total)}: {string.Join(", ", parts)}";
    }

    /// <summary>Decimal units, as disks and most tools count: 3.7 GB, 401 kB, 12 B.</summary>
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "kB", "MB", "GB", "TB", "PB"];
        double value = bytes;
        int unit = 0;
        while (Math.Abs(value) >= 999.95 && unit < units.Length - 1) { value /= 1000; unit++; }
        var format = unit == 0 || Math.Abs(value) >= 100 ? "0" : "0.0";
        return $"{value.ToString(format, CultureInfo.InvariantCulture)} {units[unit]}";
    }

    /// <summary>The largest batch over the run's epochs (a growing batch reaches its cap), no more than the training samples.</summary>
    private static long LargestBatch(ExperimentSpec spec, long train)
    {
        long largest = 1;
        // The exponential schedule only grows (growth below 1 shrinks it, so epoch 0 is then the largest): the first
        // and the last epoch bound it.
        foreach (var epoch in new[] { 0, Math.Max(0, spec.MaxEpochs - 1) })
            largest = Math.Max(largest, Schedules.BatchSize(spec.BatchSchedule, spec.BatchSize, epoch));
        return Math.Max(1, Math.Min(largest, train));
    }

    /// <summary>
    /// Values kept per sample for backward: each node's output (libtorch's autograd saves the input of a linear or
    /// convolution, the output of relu, tanh and sigmoid, the input of gelu and elu: each the output of some node),
    /// a dropout's mask, a max-pool's int64 indices; then the logits' log-softmax, and during backward the gradients
    /// flowing into the widest layer and out of it.
    /// </summary>
    private static long TrainingActivations(ModelGraph graph, int classes)
    {
        long kept = 0, widest = 0;
        foreach (var n in graph.Nodes.Skip(1))
        {
            long numel = Numel(n.Shape);
            widest = Math.Max(widest, numel);
            kept += n.Op switch
            {
                GraphOp.Flatten => 0,                                                    // a view
                GraphOp.Activation when n.Attrs[0] == (long)Activation.Identity => 0,   // the input itself
                GraphOp.Dropout => n.FAttrs[0] > 0 ? 2 * numel : 0,                      // mask and output
                GraphOp.MaxPool2d => numel + numel * Long / Float,                       // output and int64 indices
                _ => numel,
            };
        }
        return kept + 2 * classes + 2 * widest;
    }

    /// <summary>The drawn batch: inputs, labels and indices; a random crop pads and gathers (about three more copies), a flip two.</summary>
    private static long BatchBytes(DatasetSpec dataset, long features, long batch)
    {
        double copies = 1;
        if (dataset.CropPadding > 0 && DatasetLoader.InputShapeOf(dataset) is [var c, var h, var w])
            copies += 3.0 * c * (h + 2 * dataset.CropPadding) * (w + 2 * dataset.CropPadding) / features;
        if (dataset.Flip) copies += 2;
        return (long)(batch * features * Float * copies) + 2 * batch * Long;
    }

    /// <summary>
    /// The optimizers' state (SGD: a momentum buffer when momentum is not 0; Adam and AdamW: two moments) over the
    /// parameters each one updates, and the largest temporaries of one step, as copies of the largest parameter
    /// tensor (libtorch steps one tensor at a time). The copies are those bench/memory.sh measured on libtorch 1.13
    /// in most runs (bench/RESULTS.md; a run's peak varies by a copy or two): Adam's square root and quotient make
    /// two; weight decay adds two to Adam's and, with momentum, to SGD's (one more than its source shows), while
    /// SGD's lone weight decay or momentum stays within backward's one copy.
    /// </summary>
    private static (long State, long Temporaries) Optimizer(ModelGraph graph, OptimizerSpec top)
    {
        var groups = top.Groups ?? [];
        var claimed = groups.SelectMany(g => graph.NodesIn(g.Params!)).ToHashSet();
        var rest = Enumerable.Range(0, graph.Nodes.Count).Where(i => !claimed.Contains(i));
        long state = 0, temporaries = 0;
        foreach (var (o, nodes) in groups.Select(g => (g, graph.NodesIn(g.Params!))).Prepend((top, rest)))
        {
            var list = nodes.Select(i => graph.Nodes[i]).ToList();
            long count = list.Sum(n => n.Params);
            if (count == 0) continue;
            long largest = list.Max(LargestTensor);
            bool decay = o.EffectiveWeightDecay != 0, momentum = o.EffectiveMomentum != 0;
            var (perValue, copies) = o.Name switch
            {
                "adam" => (2, decay ? 4 : 2),
                "adamw" => (2, 2),  // decoupled decay scales the weights in place
                _ => (momentum ? 1 : 0, decay && momentum ? 2 : decay || momentum ? 1 : 0),
            };
            state += perValue * count * Float;
            temporaries = Math.Max(temporaries, copies * largest * Float);
        }
        return (state, temporaries);
    }

    private static long LargestTensor(GraphNode n) => n.Op switch
    {
        GraphOp.Linear => n.Attrs[0] * n.Attrs[1],
        GraphOp.Conv2d => n.Attrs[1] * (n.Attrs[0] / n.Attrs[5]) * n.Attrs[2] * n.Attrs[2],
        GraphOp.BatchNorm => n.Attrs[0],
        _ => 0,
    };

    /// <summary>
    /// Minima live on the device (one merged minimum when merge is set), and on the host as the trainer's copies,
    /// which share the memory when the device is the CPU. The distance term's step flattens the weights and takes
    /// their difference to every minimum, and backward makes as much again.
    /// </summary>
    private static (long Stored, long Temporaries) MinimaOf(ExperimentSpec spec, long parameters, bool cpu)
    {
        var loss = spec.LossFunc;
        long count = loss.CaptureEpochs.Where(e => e >= 1 && e <= spec.MaxEpochs).Distinct().Count() + loss.MinimaFrom.Length;
        if (count == 0) return (0, 0);
        long onDevice = loss.Merge ? 1 : count;
        long stored = (onDevice + (cpu ? count : 0)) * parameters * Float;
        long temporaries = loss.Distance && loss.Factor != 0 ? 2 * (onDevice + 1) * parameters * Float : 0;
        return (stored, temporaries);
    }

    /// <summary>
    /// The host's copy of the whole dataset while it is loaded, before the model exists: on the CPU it sits beside
    /// the device's copy for a moment (then the trainer frees it). Hyperspheres are drawn and then split into a
    /// second array; image files are read as bytes, then converted to float32.
    /// </summary>
    private static long Loading(DatasetSpec dataset, long samples, long features) =>
        (long)(samples * features * Float * (dataset.Name == "hyperspheres" ? 2 : 1.25)) + samples * Long;

    /// <summary>
    /// The values a convolution unfolds its input into per sample (the CPU kernel's im2col buffer, for the whole batch
    /// at once): input channels per group x kernel area x output positions. A 1x1 convolution of stride 1 and a
    /// depthwise one need none.
    /// </summary>
    private static long ConvColumns(GraphNode n) =>
        n.Op != GraphOp.Conv2d || (n.Attrs[2] == 1 && n.Attrs[3] == 1) || (n.Attrs[5] > 1 && n.Attrs[5] == n.Attrs[0]) ? 0
            : n.Attrs[0] / n.Attrs[5] * n.Attrs[2] * n.Attrs[2] * n.Shape[1] * n.Shape[2];

    /// <summary>
    /// Evaluation runs without autograd in batches (500 images, else the larger of the batch and 1,024 samples),
    /// holding a node's output, its inputs and a convolution's unfolded input at a time, and keeps every sample's
    /// class probabilities.
    /// </summary>
    private static long Evaluation(ModelGraph graph, long batch, long validation, int classes)
    {
        bool images = graph.ShapeOf(ModelGraph.InputNode).Length == 3;
        long evalBatch = Math.Min(images ? 500 : Math.Max(batch, 1024), Math.Max(1, validation));
        long widest = graph.Nodes.Skip(1).Max(n => Numel(n.Shape) + n.Inputs.Sum(i => Numel(graph.ShapeOf(i))) + ConvColumns(n));
        return evalBatch * widest * Float + 2 * validation * classes * Float;
    }

    private static long Numel(long[] shape) => shape.Aggregate(1L, (a, b) => a * b);
}
