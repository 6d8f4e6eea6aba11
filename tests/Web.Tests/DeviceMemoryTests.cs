using Dashboard.Training.Worker;

namespace Dashboard.Web.Tests;

/// <summary>The memory limits are read back from what the heartbeat writes for each device, so its format is checked here.</summary>
public sealed class DeviceMemoryTests
{
    [Fact]
    public void A_gpu_described_from_nvidia_smi_reads_back_as_its_total_memory()
    {
        // nvidia-smi's CSV, memory in MiB: 81,559 MiB total is written as "80 GiB".
        var described = GpuInfo.Describe("cuda:0", GpuInfo.Parse("0, NVIDIA H100 80GB HBM3, 81559, 1024"));
        Assert.Equal(80L << 30, Assert.Single(DeviceMemory.Parse($"cpu (16 cores, 125.8 GiB), {described}"), d => d.Key == "cuda:0").Value);
        Assert.Equal((long)(125.8 * (1L << 30)), DeviceMemory.Parse($"cpu (16 cores, 125.8 GiB), {described}")["cpu"]);
    }

    [Fact]
    public void A_gpu_nvidia_smi_did_not_describe_has_no_known_memory()
    {
        Assert.Empty(DeviceMemory.Parse("cuda:0, cuda:1"));
    }
}
