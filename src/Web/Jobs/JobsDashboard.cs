using System.Net;
using Dashboard.Data;
using Dashboard.Web.Auth;
using Hangfire;
using Hangfire.Common;
using Hangfire.Dashboard;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Web.Jobs;

/// <summary>
/// Hangfire's dashboard at /jobs, for operators: queues, servers, jobs by state. Admins only when sign-in is on (the
/// app's own policy; Hangfire's own checks are off), callers on this machine when it is off, as every other page.
/// A job shows the run it trains by name, with a link to the run's page.
/// </summary>
public static class JobsDashboard
{
    public const string Path = "/jobs";
    private static int _rendererAdded;

    public static void MapJobsDashboard(this WebApplication app)
    {
        // Hangfire keeps its job page renderers in one global list: added once per process, not once per app.
        if (Interlocked.Exchange(ref _rendererAdded, 1) == 0)
            GlobalConfiguration.Configuration.UseJobDetailsRenderer(10, dto =>
                RunOf(dto.JobDetails.Job) is { } runId && NameOf(dto.Page.Context, runId) is { } name
                    ? new NonEscapedString($"<p>Run: <a href=\"/runs/{runId}\" data-enhance-nav=\"false\">{WebUtility.HtmlEncode(name)}</a></p>")
                    : new NonEscapedString(""));
        app.MapHangfireDashboardWithAuthorizationPolicy(AuthSetup.Admin, Path, new DashboardOptions
        {
            Authorization = [],
            AppPath = "/workers",
            DashboardTitle = "Jobs",
            DisplayNameFunc = (context, job) => RunOf(job) is { } runId ? $"train {NameOf(context, runId) ?? $"run {runId}"}" : job.ToString(),
        });
    }

    // TrainRunJob.RunAsync(runId, ...): the run id is its first argument. An alert's job carries a delivery id instead.
    private static long? RunOf(Job? job) => job?.Type == typeof(Dashboard.Training.Worker.TrainRunJob) && job.Args is [long id, ..] ? id : null;

    private static string? NameOf(DashboardContext context, long runId)
    {
        var dbs = context.GetHttpContext().RequestServices.GetRequiredService<IDbContextFactory<DashboardDb>>();
        using var db = dbs.CreateDbContext();
        var run = db.Runs.AsNoTracking().Where(r => r.Id == runId).Select(r => new { r.Project, r.Number }).FirstOrDefault();
        return run is null ? null : Run.NameOf(run.Project, run.Number);
    }
}
