using System.Runtime.InteropServices;

namespace Dashboard.Training.Native;

/// <summary>Inputs and labels copied once onto the training device; batches are drawn there by index.</summary>
public sealed class DeviceDataset : IDisposable
{
    internal DatasetHandle Handle { get; }
    public long Count { get; }

    private DeviceDataset(DatasetHandle handle, long count) { Handle = handle; Count = count; }

    /// <param name="shape">Full shape of <paramref name="inputs"/>, batch dimension first.</param>
    public static unsafe DeviceDataset Create(float[] inputs, long[] shape, long[] labels, string device)
    {
        long elements = shape.Aggregate(1L, (a, b) => a * b);
        if (elements != inputs.Length)
            throw new ArgumentException($"shape [{string.Join(", ", shape)}] holds {elements} values but {inputs.Length} were given");
        if (shape[0] != labels.Length)
            throw new ArgumentException($"{shape[0]} inputs but {labels.Length} labels");
        fixed (float* x = inputs)
        fixed (long* s = shape)
        fixed (long* y = labels)
        {
            NativeMethods.Check(NativeMethods.DatasetCreate(x, s, shape.Length, y, device, out var raw));
            var handle = new DatasetHandle();
            Marshal.InitHandle(handle, raw);
            return new DeviceDataset(handle, shape[0]);
        }
    }

    /// <summary>Draws the next epoch's order; the same seed gives the same order on any device.</summary>
    public void Shuffle(ulong seed) => NativeMethods.Check(NativeMethods.DatasetShuffle(Handle, seed));

    /// <summary>Random crop after padding and random horizontal flip, drawn per sample on the device at each training step.</summary>
    /// <param name="fill">Per channel, what padding fills with (a black pixel after normalisation); null means 0.</param>
    public unsafe void SetAugmentation(int cropPadding, bool flip, float[]? fill = null)
    {
        fixed (float* f = fill)
            NativeMethods.Check(NativeMethods.DatasetSetAugment(Handle, cropPadding, flip ? 1 : 0, f, fill?.Length ?? 0));
    }

    public void Dispose() => Handle.Dispose();
}
