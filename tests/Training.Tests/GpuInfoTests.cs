using Dashboard.Training.Worker;

namespace Dashboard.Training.Tests;

public class GpuInfoTests
{
    [Fact]
    public void Nvidia_smi_output_gives_each_gpu_its_model_and_memory_on_the_workers_page()
    {
        // As nvidia-smi --query-gpu=index,name,memory.total,memory.used --format=csv,noheader,nounits prints it.
        const string csv = "0, NVIDIA H100 80GB HBM3, 81559, 1024\n1, NVIDIA A100-SXM4-40GB, 40960, 39936\n";
        var gpus = GpuInfo.Parse(csv);
        Assert.Equal(2, gpus.Count);
        Assert.Equal("cuda:0 (NVIDIA H100 80GB HBM3, 80 GiB, 1.0 GiB used)", GpuInfo.Describe("cuda:0", gpus));
        Assert.Equal("cuda:1 (NVIDIA A100-SXM4-40GB, 40 GiB, 39.0 GiB used)", GpuInfo.Describe("cuda:1", gpus));
        // A configured GPU nvidia-smi does not list, or no nvidia-smi at all: the device name alone.
        Assert.Equal("cuda:2", GpuInfo.Describe("cuda:2", gpus));
        Assert.Equal("cuda:0", GpuInfo.Describe("cuda:0", GpuInfo.Parse("")));
    }
}
