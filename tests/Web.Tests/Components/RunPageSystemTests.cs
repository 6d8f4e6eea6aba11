using Bunit;
using Dashboard.Web.Components.Charts;
using Dashboard.Web.Components.Pages.Runs;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Web.Tests.Components;

/// <summary>bUnit: the run page's System charts, drawn from a run's stored sys/ points on the loss's own axis.</summary>
public sealed class RunPageSystemTests(DashboardFactory factory) : AppTestContext(factory)
{
    private static Chart ChartOf(IRenderedComponent<RunPage> page, string id) =>
        page.FindComponents<Chart>().Single(c => c.Instance.Id == id).Instance;

    [Fact]
    public async Task A_sampled_run_shows_a_system_group_of_cpu_memory_and_gpu_charts_on_the_loss_s_axis_step_or_training_time()
    {
        var run = await Factory.AddRunAsync("sampled");
        await Factory.WriteAsync(run.Id, DateTime.UtcNow,
            ("loss", 10, 0.9), ("loss", 20, 0.7), ("loss", 30, 0.6), ("elapsed", 10, 2), ("elapsed", 20, 4), ("elapsed", 30, 6),
            ("sys/cpu", 10, 95), ("sys/cpu", 30, 180), ("sys/rss", 10, 1.5), ("sys/rss", 30, 1.7),
            ("sys/host_mem", 10, 6), ("sys/host_mem", 30, 6.5), ("sys/host_mem_total", 10, 16), ("sys/host_mem_total", 30, 16),
            ("sys/gpu1/util", 10, 80), ("sys/gpu1/util", 30, 90), ("sys/gpu2/util", 10, 70), ("sys/gpu2/util", 30, 75),
            ("sys/gpu1/mem", 30, 10), ("sys/gpu1/mem_total", 30, 80), ("sys/gpu1/temp", 30, 60));
        var page = Render<RunPage>(p => p.Add(r => r.Id, run.Id));
        page.WaitForAssertion(() => Assert.Equal("2", page.Find("[data-chart=sys-cpu-chart]").GetAttribute("data-points")), TimeSpan.FromSeconds(10));

        Assert.Contains("System", page.Find("h2.h5.mt-2").TextContent);
        Assert.Contains("with several slots", page.Find("#system-help").TextContent);
        var system = page.Find("#system-charts");
        Assert.Equal(["sys-cpu-chart", "sys-memory-chart", "sys-gpu-util-chart", "sys-gpu-mem-chart", "sys-gpu-temp-chart"],
            system.QuerySelectorAll("[data-chart]").Select(c => c.GetAttribute("data-chart")));
        // A GPU figure never sampled (power, here) has no chart; each chart has a trace per GPU.
        Assert.Equal(["sys/gpu1/util", "sys/gpu2/util"], ChartOf(page, "sys-gpu-util-chart").Traces.Select(t => t.Name));
        Assert.Equal(["sys/rss", "sys/host_mem", "sys/host_mem_total"], ChartOf(page, "sys-memory-chart").Traces.Select(t => t.Name));
        Assert.Equal([10.0, 30.0], ChartOf(page, "sys-cpu-chart").Traces[0].X);
        Assert.Equal([95.0, 180.0], ChartOf(page, "sys-cpu-chart").Traces[0].Y);
        Assert.Equal("step", ChartOf(page, "sys-cpu-chart").XTitle);

        // On training time, the loss and the system figures move to the run's seconds together.
        page.Find("#run-x-axis").Change("elapsed");
        page.WaitForAssertion(() => Assert.Equal([2.0, 6.0], ChartOf(page, "sys-cpu-chart").Traces[0].X));
        Assert.Equal([2.0, 4.0, 6.0], ChartOf(page, "loss-chart").Traces[0].X);
        Assert.Equal("training time (s)", ChartOf(page, "sys-gpu-util-chart").XTitle);
        // The address keeps the choice (rewritten in place, not navigated to) ...
        var replaced = JSInterop.Invocations["dashboardAddress.replace"].Single();
        Assert.EndsWith("?x=elapsed", (string)replaced.Arguments[0]!);

        // ... and the page opened at it draws on training time from the start.
        var navigation = Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>();
        navigation.NavigateTo((string)replaced.Arguments[0]!);
        var again = Render<RunPage>(p => p.Add(r => r.Id, run.Id));
        again.WaitForAssertion(() => Assert.Equal([2.0, 6.0], ChartOf(again, "sys-cpu-chart").Traces[0].X), TimeSpan.FromSeconds(10));
        Assert.Equal("elapsed", again.Find("#run-x-axis").GetAttribute("value"));
    }

    [Fact]
    public async Task A_run_never_sampled_has_no_system_group_until_its_first_sample_arrives_live()
    {
        var run = await Factory.AddRunAsync("unsampled", status: Dashboard.Data.RunStatus.Running);
        await Factory.WriteAsync(run.Id, DateTime.UtcNow, ("loss", 1, 0.9));
        var page = Render<RunPage>(p => p.Add(r => r.Id, run.Id));
        page.WaitForAssertion(() => Assert.Equal("1", page.Find("[data-chart=loss-chart]").GetAttribute("data-points")), TimeSpan.FromSeconds(10));
        Assert.Empty(page.FindAll("#system-charts"));

        await Factory.WriteAsync(run.Id, DateTime.UtcNow, ("loss", 2, 0.8), ("sys/cpu", 2, 99), ("sys/rss", 2, 1.2));
        page.WaitForAssertion(() => Assert.Equal("1", page.Find("[data-chart=sys-cpu-chart]").GetAttribute("data-points")), TimeSpan.FromSeconds(10));
        Assert.Equal("2", page.Find("[data-chart=loss-chart]").GetAttribute("data-points"));
    }
}
