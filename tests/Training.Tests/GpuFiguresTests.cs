using Dashboard.Data.Metrics;
using Dashboard.Training.Worker;

namespace Dashboard.Training.Tests;

/// <summary>nvidia-smi's query mode as the host's sampler reads it; nvidia-smi itself is not ours, so a script stands in for it.</summary>
public sealed class GpuFiguresTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gpu-figures").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Nvidia_smi_s_documented_csv_gives_each_gpu_s_figures_and_a_figure_it_does_not_report_is_unknown_not_zero()
    {
        // nvidia-smi --query-gpu=index,utilization.gpu,memory.used,memory.total,power.draw,temperature.gpu
        //   --format=csv,noheader,nounits, on a host whose second GPU reports no power (as MIG and many consumer boards do).
        const string csv = "0, 87, 10240, 81559, 250.31, 65\n1, 0, 0, 40960, [N/A], 31\nWARNING: infoROM is corrupted at gpu 0000:02:00.0\n";
        var gpus = GpuFigures.Parse(csv);
        Assert.Equal(2, gpus.Count);
        Assert.Equal(new GpuFigures(0, 87, 10, 81559 / 1024.0, 250.31, 65), gpus[0]);
        Assert.Equal(new GpuFigures(1, 0, 0, 40, null, 31), gpus[1]);
        Assert.Empty(GpuFigures.Parse(""));
        Assert.Equal(gpus, GpuFigures.FromJson(GpuFigures.ToJson(gpus)));
    }

    [Fact]
    public async Task A_host_without_nvidia_smi_or_with_a_failing_one_gets_no_figures_and_a_reason_never_an_exception()
    {
        var (none, missing) = await GpuFigures.QueryAsync(Path.Combine(_dir, "nvidia-smi"), default);
        Assert.Empty(none);
        Assert.Contains("could not be started", missing);

        // What nvidia-smi says when the driver is not loaded.
        var failing = Script("failing", "echo 'NVIDIA-SMI has failed because it couldn'\\''t communicate with the NVIDIA driver.' >&2; exit 9");
        var (stillNone, failed) = await GpuFigures.QueryAsync(failing, default);
        Assert.Empty(stillNone);
        Assert.Contains("exited with 9: NVIDIA-SMI has failed", failed);

        var working = Script("working", $"[ \"$1\" = \"{GpuFigures.QueryArgument}\" ] && [ \"$2\" = --format=csv,noheader,nounits ] || exit 2; echo '3, 55, 2048, 16384, 70.5, 48'");
        var (gpus, error) = await GpuFigures.QueryAsync(working, default);
        Assert.Null(error);
        Assert.Equal([new GpuFigures(3, 55, 2, 16, 70.5, 48)], gpus);
    }

    [Fact]
    public void The_catalogue_names_and_units_every_sampled_figure()
    {
        Assert.Equal(("Process CPU (100% = one core)", "%"), (MetricCatalogue.Describe("sys/cpu").Title, MetricCatalogue.Describe("sys/cpu").Unit));
        Assert.Equal(MetricCadence.System, MetricCatalogue.Describe("sys/rss").Cadence);
        var power = MetricCatalogue.Describe(MetricCatalogue.Gpu(3, "power"));
        Assert.Equal(("sys/gpu3/power", "GPU 3 power", "W", MetricCadence.System), (power.Name, power.Title, power.Unit, power.Cadence));
        Assert.Equal("GPU 12 memory in use", MetricCatalogue.Describe("sys/gpu12/mem").Title);
        // Not a figure: described as any unlisted key.
        Assert.Equal(MetricCadence.Step, MetricCatalogue.Describe("sys/gpu1/fan").Cadence);
    }

    private string Script(string name, string body)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
