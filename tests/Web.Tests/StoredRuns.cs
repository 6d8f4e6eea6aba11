using Dashboard.Data;
using Dashboard.Data.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Web.Tests;

/// <summary>Finished runs with chosen points, stored through the app's own data layer (EF for the run, the metric
/// writer for its points), for checking what the API makes of known numbers.</summary>
internal static class StoredRuns
{
    public const string Spec = """
        {"name":"stored","dataset":{"name":"hyperspheres","n":200},"model":{"name":"mlp","layer_size":[8]},"optimizer":{"name":"sgd","lr":0.1},"seed":0,"max_epochs":3}
        """;

    public static async Task<Run> AddRunAsync(this DashboardFactory app, string project, string @params = "{}", string status = RunStatus.Completed,
        long? divergedAt = null, string spec = Spec)
    {
        var dbs = app.Services.GetRequiredService<IDbContextFactory<DashboardDb>>();
        await using var db = await dbs.CreateDbContextAsync();
        int number = (await db.Runs.Where(r => r.Project == project).MaxAsync(r => (int?)r.Number) ?? 0) + 1;
        var run = new Run { Project = project, Number = number, Spec = spec, Params = @params, Status = status, DivergedAtStep = divergedAt, MaxEpochs = 3 };
        db.Experiments.Add(new Experiment { Name = project, Spec = spec, CreatedAt = DateTime.UtcNow, Runs = [run] });
        await db.SaveChangesAsync();
        return run;
    }

    /// <summary>Stores (key, step, value) points of a run, each at <paramref name="start"/> plus its step in seconds.</summary>
    public static async Task WriteAsync(this DashboardFactory app, long runId, DateTime start, params (string Key, long Step, double Value)[] points)
    {
        var writer = app.Services.GetRequiredService<MetricWriter>();
        foreach (var (key, step, value) in points)
            writer.Enqueue(new MetricPoint { RunId = runId, Key = key, Step = step, Value = value, Time = start.AddSeconds(step) });
        await writer.FlushAsync();
    }
}
