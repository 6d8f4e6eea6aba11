using System.Runtime.InteropServices;

namespace Dashboard.Training.Native;

/// <summary>The shim's C ABI (Native/src/api.h). Every call returns 0 or -1; use <see cref="Check"/>.</summary>
internal static partial class NativeMethods
{
    private const string Lib = "dashboard_native";

    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct Node
    {
        public int Op;
        public int InputCount;
        public fixed int Inputs[4];
        public fixed long Attrs[8];
        public fixed double FAttrs[2];
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct StepStats
    {
        public double LossSum;
        public long Correct;
        public long Samples;
        public long Steps;
        public long FirstNonFiniteStep;
        public double LastLoss;
    }

    [LibraryImport(Lib, EntryPoint = "dn_last_error")]
    private static partial IntPtr LastError();

    [LibraryImport(Lib, EntryPoint = "dn_cuda_device_count")]
    public static partial int CudaDeviceCount(out int count);

    [LibraryImport(Lib, EntryPoint = "dn_set_num_threads")]
    public static partial int SetNumThreads(int n);

    [LibraryImport(Lib, EntryPoint = "dn_release_free_memory")]
    public static partial int ReleaseFreeMemory();

    [LibraryImport(Lib, EntryPoint = "dn_get_num_threads")]
    public static partial int GetNumThreads(out int n);

    [LibraryImport(Lib, EntryPoint = "dn_build_info")]
    public static partial int BuildInfo(out IntPtr text);

    [LibraryImport(Lib, EntryPoint = "dn_dataset_create", StringMarshalling = StringMarshalling.Utf8)]
    public static unsafe partial int DatasetCreate(float* x, long* shape, int ndim, long* y, string device, out IntPtr handle);

    [LibraryImport(Lib, EntryPoint = "dn_dataset_size")]
    public static partial int DatasetSize(DatasetHandle ds, out long size);

    [LibraryImport(Lib, EntryPoint = "dn_dataset_shuffle")]
    public static partial int DatasetShuffle(DatasetHandle ds, ulong seed);

    [LibraryImport(Lib, EntryPoint = "dn_dataset_set_augment")]
    public static unsafe partial int DatasetSetAugment(DatasetHandle ds, int pad, int flip, float* fill, int fillCount);

    [LibraryImport(Lib, EntryPoint = "dn_dataset_free")]
    public static partial void DatasetFree(IntPtr ds);

    [LibraryImport(Lib, EntryPoint = "dn_model_create", StringMarshalling = StringMarshalling.Utf8)]
    public static unsafe partial int ModelCreate(Node* nodes, int count, string devices, ulong seed, out IntPtr handle);

    [LibraryImport(Lib, EntryPoint = "dn_model_param_count")]
    public static partial int ModelParamCount(ModelHandle model, out long count);

    [LibraryImport(Lib, EntryPoint = "dn_model_copy_params")]
    public static unsafe partial int ModelCopyParams(ModelHandle model, float* buffer, long capacity);

    [LibraryImport(Lib, EntryPoint = "dn_model_group_param_count")]
    public static unsafe partial int ModelGroupParamCount(ModelHandle model, int* nodes, int count, out long total);

    [LibraryImport(Lib, EntryPoint = "dn_model_set_distance")]
    public static unsafe partial int ModelSetDistance(ModelHandle model, float* minima, int count, long parameters, int kernel, double factor, double width);

    [LibraryImport(Lib, EntryPoint = "dn_model_distance")]
    public static partial int ModelDistance(ModelHandle model, out double distance);

    [LibraryImport(Lib, EntryPoint = "dn_model_global_step")]
    public static partial int ModelGlobalStep(ModelHandle model, out long step);

    [LibraryImport(Lib, EntryPoint = "dn_model_reseed")]
    public static partial int ModelReseed(ModelHandle model, ulong seed);

    [LibraryImport(Lib, EntryPoint = "dn_model_set_precision")]
    public static partial int ModelSetPrecision(ModelHandle model, int precision, int cudnnBenchmark);

    [LibraryImport(Lib, EntryPoint = "dn_model_free")]
    public static partial void ModelFree(IntPtr model);

    [LibraryImport(Lib, EntryPoint = "dn_optimizer_create")]
    public static unsafe partial int OptimizerCreate(ModelHandle model, int* nodes, int count, int kind, double lr, double momentum,
        double weightDecay, double beta1, double beta2, double eps, out IntPtr handle);

    [LibraryImport(Lib, EntryPoint = "dn_optimizer_set_lr")]
    public static partial int OptimizerSetLr(OptimizerHandle opt, double lr);

    [LibraryImport(Lib, EntryPoint = "dn_optimizer_free")]
    public static partial void OptimizerFree(IntPtr opt);

    [LibraryImport(Lib, EntryPoint = "dn_train_step")]
    public static unsafe partial int TrainStep(ModelHandle model, IntPtr* opts, int optCount, DatasetHandle ds, long start, long count);

    [LibraryImport(Lib, EntryPoint = "dn_read_stats")]
    public static partial int ReadStats(ModelHandle model, out StepStats stats);

    [LibraryImport(Lib, EntryPoint = "dn_evaluate")]
    public static unsafe partial int Evaluate(ModelHandle model, DatasetHandle ds, long batchSize, out double lossSum, out long correct,
        float* scores, long scoresCapacity);

    [LibraryImport(Lib, EntryPoint = "dn_checkpoint_save", StringMarshalling = StringMarshalling.Utf8)]
    public static unsafe partial int CheckpointSave(ModelHandle model, IntPtr* opts, int optCount, string path);

    [LibraryImport(Lib, EntryPoint = "dn_checkpoint_load", StringMarshalling = StringMarshalling.Utf8)]
    public static unsafe partial int CheckpointLoad(ModelHandle model, IntPtr* opts, int optCount, string path);

    /// <summary>Raises the shim's message for a failed call as a .NET exception naming the operation.</summary>
    public static void Check(int rc)
    {
        if (rc != 0)
            throw new NativeException(Marshal.PtrToStringUTF8(LastError()) ?? "native call failed");
    }
}

/// <summary>An error raised inside libtorch or the shim, with its message (e.g. "train_step: mat1 and mat2 shapes ...").</summary>
public sealed class NativeException(string message) : Exception(message);
