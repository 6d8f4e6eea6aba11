using Hangfire;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Dashboard.Web.Tests;

/// <summary>
/// Two dashboards in one process (as the browser tests run them, one per test class at once): each trains its own runs.
/// Hangfire keeps a process-wide current job activator that every app's configuration overwrites; a job server built
/// after another app configured Hangfire must still build its jobs from its own app's services.
/// </summary>
public sealed class TwoDashboardsTests
{
    private const string Spec = """
        { "name": "pair", "dataset": { "name": "hyperspheres", "n": 300, "p": 8, "d": 2, "classes": 2 },
          "model": { "name": "mlp", "layer_size": [8] }, "batch_size": 50, "max_epochs": 2 }
        """;

    [Fact]
    public async Task Each_of_two_dashboards_in_one_process_trains_its_own_run_when_the_other_started_in_between()
    {
        using var second = new DashboardFactory();
        using var firstFactory = new DashboardFactory();
        // The first app's Hangfire configuration is made, then the second app starts whole, and only then is the first
        // app's job server built: the order in which two apps starting at once can interleave.
        using var first = firstFactory.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.Insert(0,
            ServiceDescriptor.Singleton<IHostedService>(sp =>
            {
                sp.GetRequiredService<IBackgroundJobClient>();
                _ = second.Server;
                return new NothingToStart();
            }))));
        var a = first.CreateClient();
        var b = second.CreateClient();

        long inFirst = await a.LaunchAsync(Spec);
        long inSecond = await b.LaunchAsync(Spec);

        Assert.Equal("completed", (await a.WaitFinishedAsync(inFirst)).GetProperty("status").GetString());
        Assert.Equal("completed", (await b.WaitFinishedAsync(inSecond)).GetProperty("status").GetString());
    }

    private sealed class NothingToStart : IHostedService
    {
        public Task StartAsync(CancellationToken ct) => Task.CompletedTask;
        public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
    }
}
