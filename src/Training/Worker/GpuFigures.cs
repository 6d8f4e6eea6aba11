using System.Diagnostics;
using System.Globalization;

namespace Dashboard.Training.Worker;

/// <summary>
/// One GPU's figures at a moment, from nvidia-smi's query mode. A figure the GPU does not report (nvidia-smi prints
/// "[N/A]", e.g. the power of many laptop and MIG devices) is null rather than a made-up zero.
/// </summary>
public sealed record GpuFigures(int Index, double? Utilisation, double? MemoryGiB, double? MemoryTotalGiB, double? PowerWatts, double? TemperatureC)
{
    public const string QueryArgument = "--query-gpu=index,utilization.gpu,memory.used,memory.total,power.draw,temperature.gpu";

    /// <summary>
    /// Every GPU of this host, or an error saying why there are none (nvidia-smi missing, failing or hanging: a
    /// host without the NVIDIA driver, or one whose driver is broken). Never throws; answers within five seconds.
    /// </summary>
    /// <param name="command">nvidia-smi, or its full path (Worker:NvidiaSmi).</param>
    public static async Task<(IReadOnlyList<GpuFigures> Gpus, string? Error)> QueryAsync(string command, CancellationToken ct)
    {
        try
        {
            var psi = new ProcessStartInfo(command, [QueryArgument, "--format=csv,noheader,nounits"])
            {
                RedirectStandardOutput = true, RedirectStandardError = true,
            };
            using var p = Process.Start(psi)!;
            var output = p.StandardOutput.ReadToEndAsync(ct);
            var errors = p.StandardError.ReadToEndAsync(ct);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            try { await p.WaitForExitAsync(timeout.Token); }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                p.Kill(entireProcessTree: true);
                return ([], $"{command} did not answer within 5 s");
            }
            if (p.ExitCode != 0)
                return ([], $"{command} exited with {p.ExitCode}: {FirstLine(await errors) ?? FirstLine(await output) ?? "no message"}");
            return (Parse(await output), null);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return ([], $"{command} could not be started ({e.Message})");
        }
    }

    /// <summary>
    /// Reads <see cref="QueryArgument"/>'s CSV (noheader, nounits): "0, 87, 10240, 81559, 250.31, 65" (memory in
    /// MiB, power in W, temperature in °C). Lines that are not a GPU's (a warning nvidia-smi prints) are skipped.
    /// </summary>
    public static IReadOnlyList<GpuFigures> Parse(string csv)
    {
        var gpus = new List<GpuFigures>();
        foreach (var line in csv.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var f = line.Split(',', StringSplitOptions.TrimEntries);
            if (f.Length != 6 || !int.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index)) continue;
            gpus.Add(new GpuFigures(index, Number(f[1]), Number(f[2]) / 1024, Number(f[3]) / 1024, Number(f[4]), Number(f[5])));
        }
        return gpus;
    }

    // "[N/A]", "[Not Supported]", "[Unknown Error]" and the like: not known.
    private static double? Number(string s) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : null;

    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web);

    /// <summary>As the heartbeat stores them (worker_hosts.gpu_figures); null for none.</summary>
    public static string? ToJson(IReadOnlyList<GpuFigures> gpus) => gpus.Count == 0 ? null : System.Text.Json.JsonSerializer.Serialize(gpus, Json);

    public static IReadOnlyList<GpuFigures> FromJson(string? json) =>
        string.IsNullOrEmpty(json) ? [] : System.Text.Json.JsonSerializer.Deserialize<GpuFigures[]>(json, Json) ?? [];

    private static string? FirstLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
}
