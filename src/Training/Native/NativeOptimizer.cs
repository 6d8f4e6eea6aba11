using System.Runtime.InteropServices;

namespace Dashboard.Training.Native;

public enum OptimizerKind { Sgd = 0, Adam = 1, AdamW = 2 }

/// <summary>A torch optimizer over all of a model's parameters.</summary>
public sealed class NativeOptimizer : IDisposable
{
    internal OptimizerHandle Handle { get; }

    private NativeOptimizer(OptimizerHandle handle) => Handle = handle;

    public static NativeOptimizer Create(NativeModel model, OptimizerKind kind, double lr, double momentum = 0,
        double weightDecay = 0, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        NativeMethods.Check(NativeMethods.OptimizerCreate(model.Handle, (int)kind, lr, momentum, weightDecay, beta1, beta2, eps, out var raw));
        var handle = new OptimizerHandle();
        Marshal.InitHandle(handle, raw);
        return new NativeOptimizer(handle);
    }

    public void SetLearningRate(double lr) => NativeMethods.Check(NativeMethods.OptimizerSetLr(Handle, lr));

    public void Dispose() => Handle.Dispose();
}
