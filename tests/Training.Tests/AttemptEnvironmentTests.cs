using Dashboard.Training.Worker;

namespace Dashboard.Training.Tests;

public class AttemptEnvironmentTests
{
    [Fact]
    public void A_cpu_is_named_by_the_first_model_name_of_cpuinfo()
    {
        const string cpuinfo = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz\n\nprocessor\t: 1\nmodel name\t: Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz\n";
        Assert.Equal("Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz", AttemptEnvironment.CpuModelFrom(cpuinfo));
        // An ARM kernel's cpuinfo names no model.
        Assert.EndsWith(" CPU", AttemptEnvironment.CpuModelFrom("processor\t: 0\nBogoMIPS\t: 50.00\nCPU part\t: 0xd0c\n"));
    }

    [Fact]
    public void A_gpu_run_is_named_by_its_gpus_models_as_nvidia_smi_lists_them()
    {
        var gpus = GpuInfo.Parse("0, NVIDIA H100 80GB HBM3, 81559, 1024\n1, NVIDIA H100 80GB HBM3, 81559, 0\n2, NVIDIA A100-SXM4-40GB, 40960, 0\n");
        Assert.Equal("NVIDIA H100 80GB HBM3", AttemptEnvironment.GpuModel([1], gpus));
        Assert.Equal("2 x NVIDIA H100 80GB HBM3", AttemptEnvironment.GpuModel([0, 1], gpus));
        Assert.Equal("NVIDIA H100 80GB HBM3, NVIDIA A100-SXM4-40GB", AttemptEnvironment.GpuModel([1, 2], gpus));
        Assert.Equal("cuda:0 (nvidia-smi gave no name)", AttemptEnvironment.GpuModel([0], []));
    }

    [Fact]
    public void A_cpu_attempt_on_this_machine_is_stamped_with_the_engine_version_libtorch_and_this_cpu()
    {
        var attempt = new Dashboard.Data.RunAttempt { Host = "h" };
        AttemptEnvironment.For([]).Stamp(attempt);
        var cpu = File.ReadLines("/proc/cpuinfo").First(l => l.StartsWith("model name")).Split(':', 2)[1].Trim();
        Assert.Equal(cpu, attempt.DeviceModel);
        Assert.StartsWith("1.13.", attempt.TorchVersion);
        Assert.Equal("CPU", attempt.TorchBuild);
        // The SDK's informational version: the project's version and the commit built from, when built in a clone.
        Assert.Matches(@"^\d+\.\d+\.\d+(\+[0-9a-f]{40})?$", attempt.EngineVersion);
        Assert.NotNull(attempt.TorchReport);
    }

    [Fact]
    public void A_stamp_fits_its_columns_and_says_why_libtorch_is_unknown()
    {
        var attempt = new Dashboard.Data.RunAttempt { Host = "h" };
        new AttemptEnvironment("1.0.0", null, "libdashboard_native.so: cannot open shared object file", new string('x', 300)).Stamp(attempt);
        Assert.Equal(Dashboard.Data.RunAttempt.EnvironmentLength, attempt.DeviceModel!.Length);
        Assert.Equal("unknown: libdashboard_native.so: cannot open shared object file", attempt.TorchVersion);
        Assert.Null(attempt.TorchBuild);
    }
}
