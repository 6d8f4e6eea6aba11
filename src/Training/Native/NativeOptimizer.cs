using System.Runtime.InteropServices;

namespace Dashboard.Training.Native;

public enum OptimizerKind { Sgd = 0, Adam = 1, AdamW = 2 }

/// <summary>A torch optimizer over the parameters of some of a model's nodes (a parameter group).</summary>
public sealed class NativeOptimizer : IDisposable
{
    internal OptimizerHandle Handle { get; }
    public double BaseLearningRate { get; }

    private NativeOptimizer(OptimizerHandle handle, double lr) { Handle = handle; BaseLearningRate = lr; }

    /// <param name="nodes">Graph nodes whose parameters this optimizer updates; null means all.</param>
    public static unsafe NativeOptimizer Create(NativeModel model, OptimizerKind kind, double lr, double momentum = 0,
        double weightDecay = 0, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, IReadOnlyList<int>? nodes = null)
    {
        var indices = (nodes ?? Enumerable.Range(0, model.Graph.Nodes.Count)).ToArray();
        IntPtr raw;
        fixed (int* p = indices)
            NativeMethods.Check(NativeMethods.OptimizerCreate(model.Handle, p, indices.Length, (int)kind, lr, momentum, weightDecay, beta1, beta2, eps, out raw));
        var handle = new OptimizerHandle();
        Marshal.InitHandle(handle, raw);
        return new NativeOptimizer(handle, lr);
    }

    public void SetLearningRate(double lr) => NativeMethods.Check(NativeMethods.OptimizerSetLr(Handle, lr));

    public void Dispose() => Handle.Dispose();
}

/// <summary>The optimizers of one run; every training step steps them all.</summary>
public sealed class OptimizerSet : IDisposable
{
    public IReadOnlyList<NativeOptimizer> Items { get; }
    private readonly IntPtr[] _raw;
    // Pinned for the set's life, so a step passes a pointer without a closure or a fixed block per call.
    private GCHandle _pin;

    public OptimizerSet(IReadOnlyList<NativeOptimizer> items)
    {
        if (items.Count == 0) throw new ArgumentException("at least one optimizer is needed");
        Items = items;
        _raw = [.. items.Select(o => o.Handle.DangerousGetHandle())];
        _pin = GCHandle.Alloc(_raw, GCHandleType.Pinned);
    }

    internal unsafe IntPtr* Pointer => (IntPtr*)_pin.AddrOfPinnedObject();
    internal int Count => _raw.Length;

    public void Dispose()
    {
        if (_pin.IsAllocated) _pin.Free();
        foreach (var o in Items) o.Dispose();
    }
}
