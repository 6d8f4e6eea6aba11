using Dashboard.Training.Worker;
using Microsoft.Extensions.Options;

namespace Dashboard.Training.Tests;

public class DeviceAllocatorTests
{
    private static DeviceAllocator Host(params string[] devices) =>
        new(Options.Create(new WorkerOptions { Devices = devices, Slots = 8 }));

    [Fact]
    public void Runs_get_free_consecutive_gpus_the_specs_own_when_free_and_give_them_back()
    {
        var host = Host("cuda:0", "cuda:1", "cuda:2", "cuda:3");
        using var pair = host.TryAcquire("cuda:0", 2)!;
        Assert.Equal(("cuda:0", "cuda:0,cuda:1"), (pair.Device, pair.Describe()));
        var one = host.TryAcquire("cuda:0", 1)!;   // cuda:0 is taken: the first free one instead
        Assert.Equal("cuda:2", one.Device);
        Assert.Null(host.TryAcquire("cuda:0", 2));   // only cuda:3 is free: no two in a row
        var three = host.TryAcquire("cuda:3", 1)!;
        Assert.Equal("cuda:3", three.Device);
        Assert.Null(host.TryAcquire("cuda:0", 1));
        one.Dispose();
        three.Dispose();
        Assert.Equal("cuda:2,cuda:3", host.TryAcquire("cuda:1", 2)!.Describe());
    }

    [Fact]
    public void Cpu_runs_take_no_gpu_and_a_host_knows_what_it_can_never_serve()
    {
        var host = Host("cpu", "cuda:0", "cuda:2");
        Assert.Equal("cpu", host.TryAcquire("cpu", 1)!.Describe());
        Assert.True(host.CanServe("cuda:0", 1));
        Assert.False(host.CanServe("cuda:0", 2));   // cuda:0 and cuda:2 are not in a row
        Assert.Null(host.TryAcquire("cuda:0", 2));
        Assert.False(Host("cpu").CanServe("cuda:0", 1));
        Assert.True(Host("cpu").CanServe("cpu", 1));
    }
}

public class QueueOrderTests
{
    [Fact]
    public void Priority_orders_the_queue_then_time_and_no_run_is_put_off_into_the_future()
    {
        var now = DateTime.UtcNow;
        DateTimeOffset Fire(int priority, double secondsLater = 0) =>
            RunLauncher.FireTime(new RunLauncher.Queued(1, now.AddSeconds(secondsLater), priority));
        Assert.True(Fire(10) < Fire(0));
        Assert.True(Fire(0) < Fire(-1));
        Assert.True(Fire(0) < Fire(0, secondsLater: 1));          // FIFO within a priority
        Assert.True(Fire(1, secondsLater: 3600) < Fire(0));       // a higher priority queued later still goes first
        Assert.True(Fire(-100) < DateTimeOffset.UtcNow);          // the lowest priority is due now, not in 100 days
    }
}
