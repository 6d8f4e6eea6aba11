using System.Runtime.InteropServices;
using Dashboard.Training.Models;

namespace Dashboard.Training.Native;

/// <summary>A model graph turned into torch modules on a device, with its step statistics.</summary>
public sealed class NativeModel : IDisposable
{
    internal ModelHandle Handle { get; }
    public ModelGraph Graph { get; }
    /// <summary>The device the model and its dataset live on (the first of several for data parallel training).</summary>
    public string Device { get; }

    private NativeModel(ModelHandle handle, ModelGraph graph, string device) { Handle = handle; Graph = graph; Device = device; }

    /// <param name="devices">"cpu", "cuda:0", or several comma-separated for data parallel training (replicas share each batch).</param>
    public static unsafe NativeModel Create(ModelGraph graph, string devices, ulong seed)
    {
        var nodes = graph.Nodes.Select(ToNative).ToArray();
        fixed (NativeMethods.Node* p = nodes)
        {
            NativeMethods.Check(NativeMethods.ModelCreate(p, nodes.Length, devices, seed, out var raw));
            var handle = new ModelHandle();
            Marshal.InitHandle(handle, raw);
            return new NativeModel(handle, graph, devices.Split(',')[0]);
        }
    }

    public unsafe long GroupParameterCount(IReadOnlyList<int> nodes)
    {
        var indices = nodes.ToArray();
        long n;
        fixed (int* p = indices)
            NativeMethods.Check(NativeMethods.ModelGroupParamCount(Handle, p, indices.Length, out n));
        return n;
    }

    /// <summary>The distance term's minima (flat parameter vectors); an empty list removes the term.</summary>
    public unsafe void SetDistance(IReadOnlyList<float[]> minima, DistanceKernel kernel, double factor, double width)
    {
        long n = ParameterCount();
        var flat = new float[minima.Count * n];
        for (int i = 0; i < minima.Count; i++)
        {
            if (minima[i].Length != n) throw new ArgumentException($"minimum {i} has {minima[i].Length} parameters but the model has {n}");
            minima[i].CopyTo(flat, i * n);
        }
        fixed (float* p = flat)
            NativeMethods.Check(NativeMethods.ModelSetDistance(Handle, p, minima.Count, n, (int)kernel, factor, width));
    }

    /// <summary>Distance from the weights to the nearest stored minimum; null without minima.</summary>
    public double? Distance()
    {
        NativeMethods.Check(NativeMethods.ModelDistance(Handle, out var d));
        return d < 0 ? null : d;
    }

    /// <summary>Seeds this run's dropout and augmentation draws (its own generator on the CPU).</summary>
    public void Reseed(ulong seed) => NativeMethods.Check(NativeMethods.ModelReseed(Handle, seed));

    /// <summary>The arithmetic of the forward passes (api.h, dn_precision) and cuDNN's autotuning (CUDA only).</summary>
    public void SetPrecision(Precision precision, bool cudnnBenchmark) =>
        NativeMethods.Check(NativeMethods.ModelSetPrecision(Handle, (int)precision, cudnnBenchmark ? 1 : 0));

    /// <summary>Training steps taken, counted by the shim (restored from a checkpoint).</summary>
    public long GlobalStep()
    {
        NativeMethods.Check(NativeMethods.ModelGlobalStep(Handle, out var s));
        return s;
    }

    public unsafe void SaveCheckpoint(OptimizerSet optimizers, string path)
    {
        NativeMethods.Check(NativeMethods.CheckpointSave(Handle, optimizers.Pointer, optimizers.Count, path));
        GC.KeepAlive(optimizers);
    }

    public unsafe void LoadCheckpoint(OptimizerSet optimizers, string path)
    {
        NativeMethods.Check(NativeMethods.CheckpointLoad(Handle, optimizers.Pointer, optimizers.Count, path));
        GC.KeepAlive(optimizers);
    }

    /// <summary>Only the weights of a checkpoint (another run's, for a stored minimum).</summary>
    public unsafe void LoadWeights(string path) => NativeMethods.Check(NativeMethods.CheckpointLoad(Handle, null, -1, path));

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
    /// <summary>One step with a single optimizer over the whole model.</summary>
    public unsafe void TrainStep(NativeOptimizer optimizer, DeviceDataset data, long start, long count)
    {
        IntPtr raw = optimizer.Handle.DangerousGetHandle();
        NativeMethods.Check(NativeMethods.TrainStep(Handle, &raw, 1, data.Handle, start, count));
        GC.KeepAlive(optimizer);
    }

    public unsafe void TrainStep(OptimizerSet optimizers, DeviceDataset data, long start, long count)
    {
        NativeMethods.Check(NativeMethods.TrainStep(Handle, optimizers.Pointer, optimizers.Count, data.Handle, start, count));
        GC.KeepAlive(optimizers);
    }

    /// <summary>Reads and resets the statistics accumulated on the device since the last read (one host sync).</summary>
    public StepStats ReadStats()
    {
        NativeMethods.Check(NativeMethods.ReadStats(Handle, out var s));
        return new StepStats(s.LossSum, s.Correct, s.Samples, s.Steps, s.FirstNonFiniteStep < 0 ? null : s.FirstNonFiniteStep, s.LastLoss);
    }

    public unsafe (double MeanLoss, double Accuracy) Evaluate(DeviceDataset data, long batchSize)
    {
        NativeMethods.Check(NativeMethods.Evaluate(Handle, data.Handle, batchSize, out var lossSum, out var correct, null, 0));
        return (lossSum / data.Count, (double)correct / data.Count);
    }

    /// <summary>Also returns the class probabilities, [N, classes] row-major, for average precision.</summary>
    /// <param name="scores">Reused between calls when given (a run evaluates every epoch; no fresh large array each time).</param>
    public unsafe (double MeanLoss, double Accuracy, float[] Scores) EvaluateWithScores(DeviceDataset data, long batchSize, int classes, float[]? scores = null)
    {
        if (scores is null || scores.Length != data.Count * classes) scores = new float[data.Count * classes];
        double lossSum;
        long correct;
        fixed (float* p = scores)
            NativeMethods.Check(NativeMethods.Evaluate(Handle, data.Handle, batchSize, out lossSum, out correct, p, scores.Length));
        return (lossSum / data.Count, (double)correct / data.Count, scores);
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

public enum DistanceKernel { Rbf = 0, Tanh = 1 }

/// <summary>As api.h's dn_precision; the spec names them fp32, tf32, bf16.</summary>
public enum Precision { Fp32 = 0, Tf32 = 1, Bf16 = 2 }

/// <param name="FirstNonFiniteStep">The model's own step count (1-based) of the first NaN/Inf loss, if any.</param>
public readonly record struct StepStats(double LossSum, long Correct, long Samples, long Steps, long? FirstNonFiniteStep, double LastLoss)
{
    public double MeanLoss => Steps == 0 ? double.NaN : LossSum / Steps;
    public double Accuracy => Samples == 0 ? double.NaN : (double)Correct / Samples;
}
