namespace Dashboard.Training.Models;

/// <summary>The ops the shim knows (Native/src/api.h, dn_op).</summary>
public enum GraphOp { Input = 0, Linear = 1, Activation = 2, Flatten = 3, Add = 4, Concat = 5, Dropout = 6, BatchNorm = 7, Conv2d = 8, MaxPool2d = 9, GlobalAvgPool = 10 }

/// <summary>Activation kinds, named as in specs (Native/src/api.h, dn_activation).</summary>
public enum Activation { Relu = 0, Tanh = 1, Sigmoid = 2, Gelu = 3, Elu = 4, LeakyRelu = 5, Identity = 6 }

public sealed record GraphNode(GraphOp Op, IReadOnlyList<int> Inputs, IReadOnlyList<long> Attrs, IReadOnlyList<double> FAttrs);

/// <summary>
/// A model as a list of nodes, each reading earlier nodes; the last node is the output. Architectures are
/// functions that emit nodes, so what the shim trains and what the dashboard describes come from one graph.
/// </summary>
public sealed class ModelGraph
{
    private readonly List<GraphNode> _nodes = [new(GraphOp.Input, [], [], [])];
    public IReadOnlyList<GraphNode> Nodes => _nodes;
    public const int InputNode = 0;
    public int Last => _nodes.Count - 1;

    private int Add(GraphOp op, int[] inputs, long[] attrs, double[]? fattrs = null)
    {
        _nodes.Add(new GraphNode(op, inputs, attrs, fattrs ?? []));
        return Last;
    }

    public int Linear(int input, long inFeatures, long outFeatures, bool bias = true) =>
        Add(GraphOp.Linear, [input], [inFeatures, outFeatures, bias ? 1 : 0]);

    public int Activate(int input, Activation kind) => Add(GraphOp.Activation, [input], [(long)kind]);
    public int Flatten(int input) => Add(GraphOp.Flatten, [input], []);
    public int Sum(params int[] inputs) => Add(GraphOp.Add, inputs, []);
    public int Concat(params int[] inputs) => Add(GraphOp.Concat, inputs, []);
    public int Dropout(int input, double p) => Add(GraphOp.Dropout, [input], [], [p]);
    public int BatchNorm1d(int input, long features) => Add(GraphOp.BatchNorm, [input], [features, 1]);
}
