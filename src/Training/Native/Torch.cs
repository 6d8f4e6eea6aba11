namespace Dashboard.Training.Native;

/// <summary>Process-wide libtorch settings.</summary>
public static class Torch
{
    public static int CudaDeviceCount()
    {
        NativeMethods.Check(NativeMethods.CudaDeviceCount(out var n));
        return n;
    }

    /// <summary>Hands the free pages of the native heap back to the system (a no-op off glibc).</summary>
    public static void ReleaseFreeMemory() => NativeMethods.Check(NativeMethods.ReleaseFreeMemory());

    public static int Threads
    {
        get { NativeMethods.Check(NativeMethods.GetNumThreads(out var n)); return n; }
        set => NativeMethods.Check(NativeMethods.SetNumThreads(value));
    }
}
