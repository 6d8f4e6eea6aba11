using System.Text.Json.Nodes;
using Dashboard.Data;
using Dashboard.Training.Specs;
using Microsoft.EntityFrameworkCore;
using Dashboard.Training.Worker;
using Dashboard.Web.Auth;
using Dashboard.Web.Launch;

namespace Dashboard.Web.Api;

public static class ExperimentsApi
{
    public static void MapExperimentsApi(this IEndpointRouteBuilder app)
    {
        // The body is read as text and parsed by SpecJson, so that every bad field is named in the 400. A spec with a
        // sweep block creates all of its runs, or none when one of them would be invalid.
        app.MapPost("/api/experiments", async (HttpRequest request, RunLauncher launcher, LaunchChecks checks, CancellationToken ct) =>
        {
            var (plan, errors) = await PlanAsync(request, checks, ct);
            if (plan is null) return errors is null ? TooLarge() : Invalid(errors);
            RunLauncher.Launched launched;
            try { launched = await launcher.LaunchAsync(plan.Spec, plan.Runs, request.HttpContext.User.Name(), ct); }
            catch (InvalidSpecException e) { return Invalid(e.Errors); }
            return Results.Created($"/api/experiments/{launched.ExperimentId}",
                new { experiment_id = launched.ExperimentId, run_ids = launched.RunIds });
        }).Accepts<ExperimentSpec>("application/json").RequireAuthorization(AuthSetup.Researcher);

        // What a launch would create, without creating it: the form's "Preview" and scripts that check a sweep first.
        app.MapPost("/api/experiments/preview", async (HttpRequest request, LaunchChecks checks, CancellationToken ct) =>
        {
            var (plan, errors) = await PlanAsync(request, checks, ct);
            if (plan is null) return errors is null ? TooLarge() : Invalid(errors);
            return Results.Ok(new
            {
                runs = plan.Runs.Count,
                parameters = plan.Runs.SelectMany(r => r.Params.Keys).Distinct(),
                assignments = plan.Runs.Take(200).Select(r => new JsonObject(r.Params.Select(kv => KeyValuePair.Create(kv.Key, kv.Value?.DeepClone())))),
            });
        }).Accepts<ExperimentSpec>("application/json").RequireAuthorization(AuthSetup.Researcher);
    }

    /// <summary>GET /api/experiments/{id}: a sweep's progress, for its page and for scripts waiting on it.</summary>
    public static void MapExperimentApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/experiments/{id:long}", async (long id, IDbContextFactory<DashboardDb> dbs, CancellationToken ct) =>
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var experiment = await db.Experiments.AsNoTracking().FirstOrDefaultAsync(e => e.Id == id, ct);
            if (experiment is null) return Results.NotFound();
            var runs = await db.Runs.AsNoTracking().Where(r => r.ExperimentId == id).OrderBy(r => r.Id).Select(r => new { r.Id, r.Status }).ToListAsync(ct);
            return Results.Ok(new
            {
                id, name = experiment.Name, created_at = experiment.CreatedAt,
                sweep = experiment.Sweep is { } s ? JsonNode.Parse(s) : null,
                runs = runs.Count,
                done = runs.Count(r => RunStatus.IsFinished(r.Status)),
                statuses = runs.GroupBy(r => r.Status).ToDictionary(g => g.Key, g => g.Count()),
                run_ids = runs.Select(r => r.Id),
            });
        });
    }

    private sealed record Plan(ExperimentSpec Spec, IReadOnlyList<PlannedRun> Runs);

    /// <summary>The spec read, expanded and checked as a launch checks it (preview and launch alike).</summary>
    private static async Task<(Plan?, SpecErrors?)> PlanAsync(HttpRequest request, LaunchChecks checks, CancellationToken ct)
    {
        // Read with a cap whatever the server's own limit: a spec is a few kilobytes; 256 KiB is far beyond any real one.
        var buffer = new char[SpecJson.MaxChars + 1];
        using var reader = new StreamReader(request.Body);
        int read = 0, n;
        while (read < buffer.Length && (n = await reader.ReadAsync(buffer.AsMemory(read), ct)) > 0) read += n;
        if (read > SpecJson.MaxChars) return (null, null);
        var body = new string(buffer, 0, read);
        try
        {
            var spec = SpecJson.Parse(body);
            var runs = Sweeps.Expand(spec);
            await checks.EnsureAsync(runs, ct);
            return (new Plan(spec, runs), null);
        }
        catch (InvalidSpecException e)
        {
            return (null, e.Errors);
        }
    }

    private static IResult TooLarge() =>
        Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, detail: $"a spec is at most {SpecJson.MaxChars:N0} characters");

    private static IResult Invalid(SpecErrors errors) =>
        Results.ValidationProblem(errors.ToDictionary(), title: "The experiment spec is invalid.");
}
