using System.Reflection;
using Dashboard.Data;
using Dashboard.Training.Native;

namespace Dashboard.Training.Worker;

/// <summary>
/// What an attempt trains with, stamped on it by the host that trains it when it starts: the engine's version, the
/// libtorch build and its BLAS, and the device's model. With the run's exact spec (seed included) they say what
/// produced a result; each attempt keeps its own, since a resumed run may go on on another host.
/// </summary>
public sealed record AttemptEnvironment(string EngineVersion, TorchBuild? Torch, string? TorchError, string DeviceModel)
{
    /// <summary>
    /// The informational version of the engine's assembly: the project version, then "+" and the git commit it was
    /// built from, which the .NET SDK adds itself (SourceRevisionId, read from the repository at build time; without a
    /// repository, as in the Docker build, the image passes it in as a build argument or it is left out).
    /// </summary>
    public static string Engine { get; } =
        typeof(AttemptEnvironment).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>This machine's CPU, as /proc/cpuinfo names it.</summary>
    public static string CpuModel { get; } = ReadCpuModel();

    // GPU names do not change while the process lives; nvidia-smi is asked again only while it has answered nothing.
    private static IReadOnlyList<GpuInfo.Gpu> _gpus = [];

    /// <summary>This host's environment for a run on these GPUs (none: a CPU run). Asks nvidia-smi for GPU runs, so it
    /// is called outside any transaction.</summary>
    public static AttemptEnvironment For(IReadOnlyList<int> gpus)
    {
        if (gpus.Count > 0 && _gpus.Count == 0) _gpus = GpuInfo.Query();
        TorchBuild? torch = null;
        string? error = null;
        try
        {
            torch = TorchBuild.Current;
        }
        catch (Exception e) when (e is NativeException or DllNotFoundException or EntryPointNotFoundException)
        {
            // A shim that cannot say fails the run on its own, with its own message; the attempt still starts.
            error = e.Message;
        }
        return new AttemptEnvironment(Engine, torch, error, gpus.Count == 0 ? CpuModel : GpuModel(gpus, _gpus));
    }

    public void Stamp(RunAttempt attempt)
    {
        attempt.EngineVersion = Cut(EngineVersion, RunAttempt.EnvironmentLength);
        attempt.TorchVersion = Cut(Torch?.Version ?? $"unknown: {TorchError}", RunAttempt.EnvironmentLength);
        attempt.TorchBuild = Cut(Torch?.Build, RunAttempt.EnvironmentLength);
        attempt.Blas = Cut(Torch?.Blas, RunAttempt.EnvironmentLength);
        attempt.CpuBackends = Cut(Torch?.CpuBackends, RunAttempt.EnvironmentLength);
        attempt.DeviceModel = Cut(DeviceModel, RunAttempt.EnvironmentLength);
        attempt.TorchReport = Torch?.Report;
    }

    /// <summary>"NVIDIA H100 80GB HBM3", "2 x NVIDIA H100 80GB HBM3", or each GPU's own name when they differ.</summary>
    public static string GpuModel(IReadOnlyList<int> gpus, IReadOnlyList<GpuInfo.Gpu> known)
    {
        // nvidia-smi's index is the CUDA device number, as on the Workers page (both follow the PCI bus order
        // unless CUDA_DEVICE_ORDER says otherwise).
        var names = gpus.Select(i => known.FirstOrDefault(g => g.Index == i)?.Name ?? $"cuda:{i} (nvidia-smi gave no name)").ToList();
        return names.Distinct().Count() == 1 && names.Count > 1 ? $"{names.Count} x {names[0]}" : string.Join(", ", names);
    }

    /// <summary>The first "model name" of a /proc/cpuinfo (x86); ARM kernels name no model, only the architecture is known.</summary>
    public static string CpuModelFrom(string cpuinfo)
    {
        foreach (var line in cpuinfo.Split('\n'))
        {
            var kv = line.Split(':', 2);
            if (kv.Length == 2 && kv[0].Trim() == "model name" && kv[1].Trim() is { Length: > 0 } name) return name;
        }
        return $"{System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture} CPU";
    }

    private static string ReadCpuModel()
    {
        try
        {
            return CpuModelFrom(File.ReadAllText("/proc/cpuinfo"));
        }
        catch (IOException)
        {
            return CpuModelFrom("");
        }
    }

    private static string? Cut(string? s, int length) => s is null || s.Length <= length ? s : s[..length];
}
