using System.Runtime.InteropServices;
using Dashboard.Training.Models;

namespace Dashboard.Training.Native;

/// <summary>A model graph turned into torch modules on a device, with its step statistics.</summary>
public sealed class NativeModel : IDisposable
{
    internal ModelHandle Handle { get; }
    public string Device { get; }

    private NativeModel(ModelHandle handle, string device) { Handle = handle; Device = device; }

    public static unsafe NativeModel Create(ModelGraph graph, string device, ulong seed)
    {
        var nodes = graph.Nodes.Select(ToNative).ToArray();
        fixed (NativeMethods.Node* p = nodes)
        {
            NativeMethods.Check(NativeMethods.ModelCreate(p, nodes.Length, device, seed, out var raw));
            var handle = new ModelHandle();
            Marshal.InitHandle(handle, raw);
            return new NativeModel(handle, device);
        }
    }

    public long ParameterCount()
    {
        NativeMethods.Check(NativeMethods.ModelParamCount(Handle, out var n));
        return n;
    }

    /// <summary>All parameters, flattened in registration order (a copy to the host: for tests and checkpoints, not per step).</summary>
    public unsafe float[] CopyParameters()
    {
        var buffer = new float[ParameterCount()];
        fixed (float* p = buffer)
            NativeMethods.Check(NativeMethods.ModelCopyParams(Handle, p, buffer.Length));
        return buffer;
    }

    /// <summary>One forward, backward and optimizer step on positions [start, start+count) of the dataset's current order.</summary>
    public void TrainStep(NativeOptimizer optimizer, DeviceDataset data, long start, long count) =>
        NativeMethods.Check(NativeMethods.TrainStep(Handle, optimizer.Handle, data.Handle, start, count));

    /// <summary>Reads and resets the statistics accumulated on the device since the last read (one host sync).</summary>
    public StepStats ReadStats()
    {
        NativeMethods.Check(NativeMethods.ReadStats(Handle, out var s));
        return new StepStats(s.LossSum, s.Correct, s.Samples, s.Steps, s.FirstNonFiniteStep < 0 ? null : s.FirstNonFiniteStep, s.LastLoss);
    }

    public (double MeanLoss, double Accuracy) Evaluate(DeviceDataset data, long batchSize)
    {
        NativeMethods.Check(NativeMethods.Evaluate(Handle, data.Handle, batchSize, out var lossSum, out var correct));
        return (lossSum / data.Count, (double)correct / data.Count);
    }

    public void Dispose() => Handle.Dispose();

    private static unsafe NativeMethods.Node ToNative(GraphNode node)
    {
        if (node.Inputs.Count > 4) throw new ArgumentException($"{node.Op} has more than 4 inputs");
        if (node.Attrs.Count > 8) throw new ArgumentException($"{node.Op} has more than 8 attributes");
        var n = new NativeMethods.Node { Op = (int)node.Op, InputCount = node.Inputs.Count };
        for (int i = 0; i < node.Inputs.Count; i++) n.Inputs[i] = node.Inputs[i];
        for (int i = 0; i < node.Attrs.Count; i++) n.Attrs[i] = node.Attrs[i];
        for (int i = 0; i < node.FAttrs.Count && i < 2; i++) n.FAttrs[i] = node.FAttrs[i];
        return n;
    }
}

/// <param name="FirstNonFiniteStep">The model's own step count (1-based) of the first NaN/Inf loss, if any.</param>
public readonly record struct StepStats(double LossSum, long Correct, long Samples, long Steps, long? FirstNonFiniteStep, double LastLoss)
{
    public double MeanLoss => Steps == 0 ? double.NaN : LossSum / Steps;
    public double Accuracy => Samples == 0 ? double.NaN : (double)Correct / Samples;
}
