using System.Diagnostics;
using System.Globalization;

namespace Dashboard.Training.Worker;

/// <summary>
/// The model and memory of this host's GPUs, for the Workers page, from nvidia-smi (shipped with the NVIDIA driver,
/// so present wherever CUDA trains). Without it a GPU is listed by its device name alone.
/// </summary>
public static class GpuInfo
{
    public sealed record Gpu(int Index, string Name, double TotalGiB, double UsedGiB)
    {
        public string Describe() => $"{Name}, {TotalGiB:F0} GiB, {UsedGiB:F1} GiB used";
    }

    /// <summary>The GPUs, or none when nvidia-smi is missing or fails (answers within a few seconds in any case).</summary>
    /// <param name="command">nvidia-smi, or its full path (Worker:NvidiaSmi).</param>
    public static IReadOnlyList<Gpu> Query(string command = "nvidia-smi")
    {
        try
        {
            var psi = new ProcessStartInfo(command, ["--query-gpu=index,name,memory.total,memory.used", "--format=csv,noheader,nounits"])
            {
                RedirectStandardOutput = true, RedirectStandardError = true,
            };
            using var p = Process.Start(psi)!;
            var output = p.StandardOutput.ReadToEndAsync();
            if (!p.WaitForExit(5000)) { p.Kill(); return []; }
            return p.ExitCode == 0 ? Parse(output.Result) : [];
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return [];  // no nvidia-smi on this host
        }
    }

    /// <summary>Reads nvidia-smi's CSV: "0, NVIDIA H100 80GB HBM3, 81559, 1024" (memory in MiB).</summary>
    public static IReadOnlyList<Gpu> Parse(string csv)
    {
        var gpus = new List<Gpu>();
        foreach (var line in csv.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var f = line.Split(',', StringSplitOptions.TrimEntries);
            if (f.Length < 4 || !int.TryParse(f[0], out var index)) continue;
            // A name may hold commas: the last two fields are the memory.
            var name = string.Join(", ", f[1..^2]);
            double Mib(string s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : 0;
            gpus.Add(new Gpu(index, name, Mib(f[^2]) / 1024, Mib(f[^1]) / 1024));
        }
        return gpus;
    }

    /// <summary>"cuda:0 (NVIDIA H100 80GB HBM3, 80 GiB, 1.0 GiB used)"; a device nvidia-smi does not list as it is.</summary>
    public static string Describe(string device, IReadOnlyList<Gpu> gpus) =>
        device.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(device[5..], out var i) && gpus.FirstOrDefault(g => g.Index == i) is { } gpu
            ? $"{device} ({gpu.Describe()})" : device;
}
