namespace Dashboard.Training.Models;

/// <summary>The ops the shim knows (Native/src/api.h, dn_op).</summary>
public enum GraphOp { Input = 0, Linear = 1, Activation = 2, Flatten = 3, Add = 4, Concat = 5, Dropout = 6, BatchNorm = 7, Conv2d = 8, MaxPool2d = 9, GlobalAvgPool = 10 }

/// <summary>Activation kinds, named as in specs (Native/src/api.h, dn_activation).</summary>
public enum Activation { Relu = 0, Tanh = 1, Sigmoid = 2, Gelu = 3, Elu = 4, LeakyRelu = 5, Identity = 6, Relu6 = 7 }

/// <param name="Shape">Output shape of one sample (no batch dimension).</param>
/// <param name="Params">Trainable parameters of this node.</param>
/// <param name="ForwardFlops">Floating-point operations of one sample's forward pass through this node (a multiply-add counts 2).</param>
/// <param name="Group">The parameter group optimizers address ("body" or "head").</param>
public sealed record GraphNode(GraphOp Op, IReadOnlyList<int> Inputs, IReadOnlyList<long> Attrs, IReadOnlyList<double> FAttrs,
    string Name, long[] Shape, long Params, long ForwardFlops, string Group);

/// <summary>
/// A model as a list of nodes, each reading earlier nodes; the last node is the output. Architectures are
/// functions that emit nodes, so what the shim trains and what the dashboard describes come from one graph:
/// shapes, parameter counts and FLOPs are worked out here as the nodes are added.
/// </summary>
public sealed class ModelGraph
{
    public const string Body = "body", Head = "head";
    public const int InputNode = 0;

    private readonly List<GraphNode> _nodes;
    public IReadOnlyList<GraphNode> Nodes => _nodes;
    public int Last => _nodes.Count - 1;
    /// <summary>The group new nodes join; architectures switch to <see cref="Head"/> for the classifier.</summary>
    public string CurrentGroup { get; set; } = Body;

    public ModelGraph(params long[] inputShape)
    {
        if (inputShape.Length == 0 || inputShape.Any(d => d <= 0))
            throw new ArgumentException($"input shape [{string.Join(", ", inputShape)}] must have positive dimensions");
        _nodes = [new(GraphOp.Input, [], [], [], "input", inputShape, 0, 0, Body)];
    }

    public long[] ShapeOf(int node) => _nodes[node].Shape;
    public long ParameterCount => _nodes.Sum(n => n.Params);
    public long ForwardFlopsPerSample => _nodes.Sum(n => n.ForwardFlops);
    /// <summary>Forward plus backward: the backward pass costs about twice the forward (input and weight gradients).</summary>
    public long TrainingFlopsPerSample => 3 * ForwardFlopsPerSample;
    public IEnumerable<int> NodesIn(string group) => Enumerable.Range(0, _nodes.Count).Where(i => _nodes[i].Group == group);

    private int Add(GraphOp op, int[] inputs, long[] attrs, long[] shape, long parameters, long flops, string name, double[]? fattrs = null)
    {
        foreach (var i in inputs)
            if (i < 0 || i > Last) throw new ArgumentException($"{name} reads node {i}, which does not exist yet");
        _nodes.Add(new GraphNode(op, inputs, attrs, fattrs ?? [], $"{name}{_nodes.Count}", shape, parameters, flops, CurrentGroup));
        return Last;
    }

    private static long Numel(long[] shape) => shape.Aggregate(1L, (a, b) => a * b);

    private long[] Image(int input, string op)
    {
        var s = ShapeOf(input);
        if (s.Length != 3) throw new ArgumentException($"{op} needs images [C, H, W] but node {input} gives [{string.Join(", ", s)}]");
        return s;
    }

    public int Linear(int input, long outFeatures, bool bias = true)
    {
        var s = ShapeOf(input);
        if (s.Length != 1) throw new ArgumentException($"linear needs flat features but node {input} gives [{string.Join(", ", s)}]");
        long inFeatures = s[0];
        return Add(GraphOp.Linear, [input], [inFeatures, outFeatures, bias ? 1 : 0], [outFeatures],
            inFeatures * outFeatures + (bias ? outFeatures : 0), 2 * inFeatures * outFeatures + (bias ? outFeatures : 0), "linear");
    }

    public int Conv2d(int input, long outChannels, int kernel, int stride = 1, int padding = 0, int groups = 1, bool bias = true)
    {
        var s = Image(input, "conv2d");
        long c = s[0], h = (s[1] + 2 * padding - kernel) / stride + 1, w = (s[2] + 2 * padding - kernel) / stride + 1;
        if (c % groups != 0 || outChannels % groups != 0) throw new ArgumentException($"conv2d: {c} -> {outChannels} channels do not divide into {groups} groups");
        if (h < 1 || w < 1) throw new ArgumentException($"conv2d {kernel}x{kernel} stride {stride} does not fit an image of {s[1]}x{s[2]}");
        long perOutput = c / groups * kernel * kernel;
        long outputs = outChannels * h * w;
        return Add(GraphOp.Conv2d, [input], [c, outChannels, kernel, stride, padding, groups, bias ? 1 : 0], [outChannels, h, w],
            outChannels * perOutput + (bias ? outChannels : 0), 2 * perOutput * outputs + (bias ? outputs : 0), "conv");
    }

    public int BatchNorm(int input)
    {
        var s = ShapeOf(input);
        int dims = s.Length == 3 ? 2 : 1;
        // Normalise and scale-shift: about 4 operations per value at inference.
        return Add(GraphOp.BatchNorm, [input], [s[0], dims], s, 2 * s[0], 4 * Numel(s), "bn");
    }

    public int MaxPool2d(int input, int kernel, int stride, int padding = 0)
    {
        var s = Image(input, "max_pool2d");
        long h = (s[1] + 2 * padding - kernel) / stride + 1, w = (s[2] + 2 * padding - kernel) / stride + 1;
        if (h < 1 || w < 1) throw new ArgumentException($"max_pool2d {kernel}x{kernel} does not fit an image of {s[1]}x{s[2]}");
        long[] shape = [s[0], h, w];
        return Add(GraphOp.MaxPool2d, [input], [kernel, stride, padding], shape, 0, Numel(shape) * kernel * kernel, "pool");
    }

    public int GlobalAvgPool(int input)
    {
        var s = Image(input, "global_avg_pool");
        return Add(GraphOp.GlobalAvgPool, [input], [], [s[0]], 0, Numel(s), "avgpool");
    }

    public int Activate(int input, Activation kind) =>
        Add(GraphOp.Activation, [input], [(long)kind], ShapeOf(input), 0, kind == Activation.Identity ? 0 : Numel(ShapeOf(input)), kind.ToString().ToLowerInvariant());

    public int Flatten(int input) => Add(GraphOp.Flatten, [input], [], [Numel(ShapeOf(input))], 0, 0, "flatten");

    public int Sum(params int[] inputs)
    {
        var s = ShapeOf(inputs[0]);
        foreach (var i in inputs.Skip(1))
            if (!ShapeOf(i).SequenceEqual(s)) throw new ArgumentException($"add: node {i} gives [{string.Join(", ", ShapeOf(i))}], not [{string.Join(", ", s)}]");
        return Add(GraphOp.Add, inputs, [], s, 0, (inputs.Length - 1) * Numel(s), "add");
    }

    public int Concat(params int[] inputs)
    {
        var first = ShapeOf(inputs[0]);
        var shape = (long[])first.Clone();
        shape[0] = inputs.Sum(i => ShapeOf(i)[0]);
        foreach (var i in inputs.Skip(1))
            if (!ShapeOf(i).Skip(1).SequenceEqual(first.Skip(1))) throw new ArgumentException($"concat: node {i} does not match node {inputs[0]} beyond the first dimension");
        return Add(GraphOp.Concat, inputs, [], shape, 0, 0, "concat");
    }

    public int Dropout(int input, double p) => Add(GraphOp.Dropout, [input], [], ShapeOf(input), 0, 0, "dropout", [p]);

    /// <summary>One row per node with parameters or a change of shape: what the run page shows.</summary>
    public IReadOnlyList<LayerSummary> Summary() =>
        [.. _nodes.Select(n => new LayerSummary(n.Name, n.Op.ToString(), n.Shape, n.Params, n.ForwardFlops, n.Group))];
}

public sealed record LayerSummary(string Layer, string Op, long[] OutputShape, long Params, long ForwardFlops, string Group);
