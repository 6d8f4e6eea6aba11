using Dashboard.Training.Specs;
using Dashboard.Training.Worker;

namespace Dashboard.Web.Api;

public static class ExperimentsApi
{
    public static void MapExperimentsApi(this IEndpointRouteBuilder app)
    {
        // The body is read as text and parsed by SpecJson, so that every bad field is named in the 400.
        app.MapPost("/api/experiments", async (HttpRequest request, RunLauncher launcher, CancellationToken ct) =>
        {
            using var reader = new StreamReader(request.Body);
            var body = await reader.ReadToEndAsync(ct);
            ExperimentSpec spec;
            try { spec = SpecJson.Parse(body); }
            catch (InvalidSpecException e) { return Results.ValidationProblem(e.Errors.ToDictionary(), title: "The experiment spec is invalid."); }
            var launched = await launcher.LaunchAsync(spec, ct);
            return Results.Created($"/api/experiments/{launched.ExperimentId}",
                new { experiment_id = launched.ExperimentId, run_ids = launched.RunIds });
        }).Accepts<ExperimentSpec>("application/json");
    }
}
