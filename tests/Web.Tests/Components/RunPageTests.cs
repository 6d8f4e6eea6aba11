using Bunit;
using Dashboard.Data;
using Dashboard.Web.Components.Pages.Runs;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Web.Tests.Components;

/// <summary>bUnit: the run page in its circuit, on the app's real services and SQLite file, kept current by run events.</summary>
public sealed class RunPageTests(DashboardFactory factory) : AppTestContext(factory)
{
    [Fact]
    public async Task A_run_event_brings_its_messages_status_finished_time_and_new_points_onto_the_open_page()
    {
        var run = await Factory.AddRunAsync("watched", status: RunStatus.Running);
        var page = Render<RunPage>(p => p.Add(r => r.Id, run.Id));
        page.WaitForAssertion(() => Assert.Equal("running", page.Find("#run-status .badge").GetAttribute("data-status")));
        Assert.Contains("None yet", page.Find("#run-messages").TextContent);
        Assert.Equal("–", page.Find("#run-finished").TextContent);

        var dbs = Factory.Services.GetRequiredService<IDbContextFactory<DashboardDb>>();
        await using (var db = await dbs.CreateDbContextAsync())
        {
            db.RunMessages.Add(new RunMessage { RunId = run.Id, Time = DateTime.UtcNow, Text = "epoch 1: val_loss 0.5" });
            await db.SaveChangesAsync();
            await db.Runs.Where(r => r.Id == run.Id).ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, RunStatus.Completed)
                .SetProperty(r => r.Epoch, 3).SetProperty(r => r.FinishedAt, DateTime.UtcNow));
        }
        // The metric writer publishes the run's event once the points are stored.
        await Factory.WriteAsync(run.Id, DateTime.UtcNow, ("loss", 1, 0.9), ("loss", 2, 0.7), ("loss", 3, 0.6));

        page.WaitForAssertion(() =>
        {
            Assert.Contains("epoch 1: val_loss 0.5", page.Find("#run-messages").TextContent);
            Assert.Equal("completed", page.Find("#run-status .badge").GetAttribute("data-status"));
            Assert.NotEqual("–", page.Find("#run-finished").TextContent);
            Assert.Equal("3", page.Find("#run-epoch").TextContent);
            Assert.True(page.Find("#cancel-form").HasAttribute("hidden"));
            Assert.Equal("3", page.Find("[data-chart=loss-chart]").GetAttribute("data-points"));
        }, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_finished_run_s_curves_are_drawn_once_from_its_history_never_empty_first_nor_twice_over()
    {
        var run = await Factory.AddRunAsync("history");
        await Factory.WriteAsync(run.Id, DateTime.UtcNow, ("loss", 1, 0.9), ("loss", 2, 0.7), ("loss", 3, 0.6), ("loss", 4, 0.5));
        var page = Render<RunPage>(p => p.Add(r => r.Id, run.Id));
        page.WaitForAssertion(() => Assert.Equal("4", page.Find("[data-chart=loss-chart]").GetAttribute("data-points")), TimeSpan.FromSeconds(10));
        // The catch-up round after the charts appear finds nothing new: no point is added on top of the history.
        await Task.Delay(500);
        Assert.Equal("4", page.Find("[data-chart=loss-chart]").GetAttribute("data-points"));
        Assert.Equal("1", page.Find("[data-chart=loss-chart]").GetAttribute("data-draws"));
    }
}
