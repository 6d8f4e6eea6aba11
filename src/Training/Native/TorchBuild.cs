using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Dashboard.Training.Native;

/// <summary>
/// The libtorch this process trains with, from the shim's report (Native/src/build_info.cpp) in a few readable fields:
/// "1.13.0", "CPU" or "CUDA 12.1, cuDNN 8.9.2", "OpenBLAS 0.3.21 (pthread, Haswell)", "OpenMP 4.5, oneDNN 2.6.3, AVX2".
/// <see cref="Report"/> keeps the whole report (compiler flags and all) for what the fields leave out.
/// </summary>
public sealed partial record TorchBuild(string Version, string Build, string Blas, string CpuBackends, string Report)
{
    private static readonly Lazy<TorchBuild> Loaded = new(() =>
    {
        NativeMethods.Check(NativeMethods.BuildInfo(out var text));
        return Parse(Marshal.PtrToStringUTF8(text) ?? "");
    });

    /// <summary>This process's libtorch; read from the shim once, as it cannot change while the process lives.</summary>
    public static TorchBuild Current => Loaded.Value;

    private const string ConfigMarker = "show_config=\n";

    public static TorchBuild Parse(string report)
    {
        int split = report.IndexOf(ConfigMarker, StringComparison.Ordinal);
        var head = (split < 0 ? report : report[..split]).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('=', 2)).Where(kv => kv.Length == 2).ToLookup(kv => kv[0], kv => kv[1].Trim());
        var config = split < 0 ? "" : report[(split + ConfigMarker.Length)..];
        var settings = BuildSettings(config);

        string version = settings.GetValueOrDefault("TORCH_VERSION") ?? head["header_version"].FirstOrDefault() ?? "unknown";
        return new TorchBuild(version, BuildOf(config, settings, head), BlasOf(config, settings, head), CpuBackendsOf(config), report);
    }

    /// <summary>show_config's "Build settings: BLAS_INFO=generic, ..., USE_CUDA=OFF, ..." line as a dictionary.</summary>
    private static Dictionary<string, string> BuildSettings(string config)
    {
        var line = config.Split('\n').FirstOrDefault(l => l.Contains("Build settings:", StringComparison.Ordinal));
        if (line is null) return [];
        return line[(line.IndexOf(':') + 1)..].Split(", ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => s.Split('=', 2)).Where(kv => kv.Length == 2)
            .GroupBy(kv => kv[0]).ToDictionary(g => g.Key, g => g.First()[1].Trim());
    }

    private static bool On(Dictionary<string, string> settings, string key) =>
        settings.GetValueOrDefault(key) is "ON" or "1" or "TRUE" or "True";

    private static string BuildOf(string config, Dictionary<string, string> settings, ILookup<string, string> head)
    {
        if (On(settings, "USE_ROCM")) return "ROCm" + (settings.GetValueOrDefault("ROCM_VERSION") is { Length: > 0 } rocm ? " " + rocm : "");
        if (!On(settings, "USE_CUDA")) return "CPU";
        var cuda = settings.GetValueOrDefault("CUDA_VERSION") ?? CudaRuntimeLine().Match(config).Groups[1].Value;
        var cudnn = settings.GetValueOrDefault("CUDNN_VERSION") ?? CudnnLine().Match(config).Groups[1].Value;
        var build = "CUDA" + (cuda is { Length: > 0 } ? " " + cuda : "") + (cudnn is { Length: > 0 } ? $", cuDNN {cudnn}" : "");
        // A CUDA build on a host whose driver sees no GPU trains on the CPU only: worth saying beside the build.
        return head["cuda_available"].FirstOrDefault() == "0" ? build + " (no GPU visible)" : build;
    }

    /// <summary>
    /// The BLAS the process calls. Loaded libraries first: a generic build (Debian's) calls whatever libblas.so.3 the
    /// system's alternatives name, which only the loaded file's real path tells. A build with MKL linked in says so in
    /// its report.
    /// </summary>
    private static string BlasOf(string config, Dictionary<string, string> settings, ILookup<string, string> head)
    {
        // GPU BLAS libraries (cuBLAS, hipBLAS) are loaded by CUDA builds too; the CPU's is the one meant here.
        var libraries = head["blas_library"].Where(p => !GpuBlas().IsMatch(Path.GetFileName(p))).ToList();
        if (head["openblas_config"].FirstOrDefault() is { } openblas && OpenBlasVersion().Match(openblas) is { Success: true } v)
        {
            var details = new List<string>();
            if (libraries.Select(p => OpenBlasVariant().Match(p)).FirstOrDefault(m => m.Success) is { } variant) details.Add(variant.Groups[1].Value);
            // The kernels OpenBLAS picked for this CPU, the one mixed-case word among its upper-case build flags.
            if (openblas.Split(' ').Skip(2).FirstOrDefault(w => w.Any(char.IsLower) && !w.Contains('=')) is { } core) details.Add(core);
            return v.Value + (details.Count > 0 ? $" ({string.Join(", ", details)})" : "");
        }
        foreach (var path in libraries)
        {
            var dir = Path.GetFileName(Path.GetDirectoryName(path)) ?? "";
            var name = Path.GetFileName(path);
            if (name.Contains("openblas") || dir.StartsWith("openblas")) return "OpenBLAS" + Variant(dir);
            if (name.Contains("blis") || dir.StartsWith("blis")) return "BLIS" + Variant(dir);
            if (name.Contains("mkl")) return "MKL";
            if (name.Contains("flexiblas")) return "FlexiBLAS";
            if (dir == "atlas") return "ATLAS";
            // Debian's netlib build: correct, and tens of times slower than any of the above.
            if (dir == "blas") return "reference BLAS (unoptimised)";
        }
        if (MklLine().Match(config) is { Success: true } mkl) return $"MKL {mkl.Groups[1].Value}";
        if (libraries.Count > 0) return Path.GetFileName(libraries[0]);
        return settings.GetValueOrDefault("BLAS_INFO") is { Length: > 0 } info ? info : "unknown";
    }

    private static string Variant(string dir) => dir.IndexOf('-') is var i and > 0 ? $" ({dir[(i + 1)..]})" : "";

    private static string CpuBackendsOf(string config)
    {
        var parts = new List<string>();
        if (OpenMpLine().Match(config) is { Success: true } omp) parts.Add($"OpenMP {omp.Groups[1].Value}");
        if (OneDnnLine().Match(config) is { Success: true } dnn) parts.Add($"oneDNN {dnn.Groups[1].Value}");
        // The vector kernels libtorch dispatched to on this CPU: results of the same build differ in their last
        // digits between AVX2 and AVX512.
        if (CpuCapabilityLine().Match(config) is { Success: true } cpu) parts.Add(cpu.Groups[1].Value);
        return parts.Count > 0 ? string.Join(", ", parts) : "unknown";
    }

    [GeneratedRegex(@"CUDA Runtime ([\d.]+)")]
    private static partial Regex CudaRuntimeLine();
    [GeneratedRegex(@"CuDNN ([\d.]+)")]
    private static partial Regex CudnnLine();
    [GeneratedRegex(@"Math Kernel Library Version ([\d.]+)")]
    private static partial Regex MklLine();
    [GeneratedRegex(@"OpenMP \d+ \(a\.k\.a\. OpenMP ([\d.]+)\)")]
    private static partial Regex OpenMpLine();
    [GeneratedRegex(@"(?:MKL-DNN|oneDNN) v([\d.]+)")]
    private static partial Regex OneDnnLine();
    [GeneratedRegex(@"CPU capability usage: (\w+)")]
    private static partial Regex CpuCapabilityLine();
    [GeneratedRegex(@"^OpenBLAS [\d.]+")]
    private static partial Regex OpenBlasVersion();
    [GeneratedRegex(@"/openblas-(\w+)/")]
    private static partial Regex OpenBlasVariant();
    [GeneratedRegex(@"^lib(cu|hip|roc)blas", RegexOptions.IgnoreCase)]
    private static partial Regex GpuBlas();
}
