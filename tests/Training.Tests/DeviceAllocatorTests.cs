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
    public void A_higher_priority_has_a_queue_that_sorts_first_and_workers_listen_to_every_queue_in_that_order()
    {
        static string Q(int priority) => RunLauncher.QueueOf(priority);
        // Hangfire.PostgreSql takes the next job by queue name, then job id (FIFO within one queue).
        foreach (var (higher, lower) in new[] { (10, 0), (0, -1), (1, 0), (20, 19), (21, 20), (31, 30), (91, 90), (-20, -21), (-30, -31), (-90, -91) })
            Assert.True(string.CompareOrdinal(Q(higher), Q(lower)) < 0, $"{higher} vs {lower}");
        // Beyond +-20, ten priorities share a queue (first in, first out among them).
        Assert.Equal(Q(21), Q(30));
        Assert.Equal(Q(-91), Q(-100));
        Assert.Equal(("p00", "p28", "p56"), (Q(100), Q(0), Q(-100)));
        // Hangfire.InMemory takes the queues in the order the server lists them: highest priority first. A Hangfire
        // server waits on one handle per queue (at most 64 with its own), so there are fewer queues than priorities.
        Assert.Equal(57, RunLauncher.Queues.Length);
        Assert.Equal(RunLauncher.Queues.Order(StringComparer.Ordinal), RunLauncher.Queues);
        Assert.All(RunLauncher.Queues, q => Assert.Matches("^[a-z0-9_-]+$", q));   // what Hangfire accepts as a queue name
    }
}
