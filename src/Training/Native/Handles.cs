using System.Runtime.InteropServices;

namespace Dashboard.Training.Native;

// Long-lived native objects only (model, optimizer, dataset): nothing per step is ever handed to C#.

internal sealed class DatasetHandle() : SafeHandle(IntPtr.Zero, ownsHandle: true)
{
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle() { NativeMethods.DatasetFree(handle); return true; }
}

internal sealed class ModelHandle() : SafeHandle(IntPtr.Zero, ownsHandle: true)
{
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle() { NativeMethods.ModelFree(handle); return true; }
}

internal sealed class OptimizerHandle() : SafeHandle(IntPtr.Zero, ownsHandle: true)
{
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle() { NativeMethods.OptimizerFree(handle); return true; }
}
