using System.Text.Json.Nodes;
using Dashboard.Training.Specs;
using Dashboard.Training.Worker;

namespace Dashboard.Web.Api;

public static class ExperimentsApi
{
    public static void MapExperimentsApi(this IEndpointRouteBuilder app)
    {
        // The body is read as text and parsed by SpecJson, so that every bad field is named in the 400. A spec with a
        // sweep block creates all of its runs, or none when one of them would be invalid.
        app.MapPost("/api/experiments", async (HttpRequest request, RunLauncher launcher, CancellationToken ct) =>
        {
            var (plan, errors) = await PlanAsync(request, ct);
            if (plan is null) return Invalid(errors!);
            var launched = await launcher.LaunchAsync(plan.Spec, plan.Runs, ct);
            return Results.Created($"/api/experiments/{launched.ExperimentId}",
                new { experiment_id = launched.ExperimentId, run_ids = launched.RunIds });
        }).Accepts<ExperimentSpec>("application/json");

        // What a launch would create, without creating it: the form's "Preview" and scripts that check a sweep first.
        app.MapPost("/api/experiments/preview", async (HttpRequest request, CancellationToken ct) =>
        {
            var (plan, errors) = await PlanAsync(request, ct);
            if (plan is null) return Invalid(errors!);
            return Results.Ok(new
            {
                runs = plan.Runs.Count,
                parameters = plan.Runs.SelectMany(r => r.Params.Keys).Distinct(),
                assignments = plan.Runs.Take(200).Select(r => new JsonObject(r.Params.Select(kv => KeyValuePair.Create(kv.Key, kv.Value?.DeepClone())))),
            });
        }).Accepts<ExperimentSpec>("application/json");
    }

    private sealed record Plan(ExperimentSpec Spec, IReadOnlyList<PlannedRun> Runs);

    private static async Task<(Plan?, SpecErrors?)> PlanAsync(HttpRequest request, CancellationToken ct)
    {
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync(ct);
        try
        {
            var spec = SpecJson.Parse(body);
            return (new Plan(spec, Sweeps.Expand(spec)), null);
        }
        catch (InvalidSpecException e)
        {
            return (null, e.Errors);
        }
    }

    private static IResult Invalid(SpecErrors errors) =>
        Results.ValidationProblem(errors.ToDictionary(), title: "The experiment spec is invalid.");
}
