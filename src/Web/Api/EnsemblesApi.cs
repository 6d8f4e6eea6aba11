using System.Text;
using System.Text.Json;
using Dashboard.Data;
using Dashboard.Training.Worker;
using Dashboard.Web.Analysis;
using Dashboard.Web.Auth;
using Dashboard.Web.Queries;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Web.Api;

/// <summary>
/// /api/analysis/ensembles: evaluate runs together (POST {"runs": [1, 2], "name", "checkpoint": "last" | "best"}, or
/// "experiment": ID for a sweep's ended runs), list them, and read one as JSON or CSV.
/// </summary>
public static class EnsemblesApi
{
    public static void MapEnsemblesApi(this IEndpointRouteBuilder app)
    {
        // 201 with the stored ensemble (queued); 400 naming the field, and nothing stored.
        app.MapPost("/api/analysis/ensembles", async (HttpRequest http, EnsembleLauncher launcher, IDbContextFactory<DashboardDb> dbs, CancellationToken ct) =>
        {
            JsonElement body;
            try { body = await JsonSerializer.DeserializeAsync<JsonElement>(http.Body, cancellationToken: ct); }
            catch (JsonException e) { return BadQuery.Field("body", $"not JSON: {e.Message}"); }
            if (body.ValueKind != JsonValueKind.Object) return BadQuery.Field("body", "a JSON object: {\"runs\": [1, 2], \"name\": \"...\"}");
            string? name = null, checkpoint = null;
            if (body.TryGetProperty("name", out var n) && n.ValueKind != JsonValueKind.Null)
            {
                if (n.ValueKind != JsonValueKind.String) return BadQuery.Field("name", "a string");
                name = n.GetString();
            }
            if (body.TryGetProperty("checkpoint", out var c) && c.ValueKind != JsonValueKind.Null)
            {
                if (c.ValueKind != JsonValueKind.String) return BadQuery.Field("checkpoint", $"one of {string.Join(", ", EnsembleCheckpoint.All)}");
                checkpoint = c.GetString();
            }
            long[] ids;
            if (body.TryGetProperty("runs", out var runs) && runs.ValueKind != JsonValueKind.Null)
            {
                if (Ids(runs, out ids) is { } error) return BadQuery.Field("runs", error);
            }
            else if (body.TryGetProperty("experiment", out var experiment) && experiment.ValueKind != JsonValueKind.Null)
            {
                if (experiment.ValueKind != JsonValueKind.Number || !experiment.TryGetInt64(out var id)) return BadQuery.Field("experiment", "an experiment id");
                await using var db = await dbs.CreateDbContextAsync(ct);
                ids = await EnsembleResults.OfExperimentAsync(db, id, ct);
                if (ids.Length == 0) return BadQuery.Field("experiment", $"experiment {id} has no ended runs with checkpoints");
            }
            else return BadQuery.Field("runs", "required: the ids of the runs to evaluate together, e.g. [1, 2]");

            var (ensemble, errors) = await launcher.CreateAsync(ids, name, checkpoint, http.HttpContext.User.Name(), ct);
            if (ensemble is null) return Results.ValidationProblem(errors.ToDictionary(), title: "The ensemble cannot be evaluated.");
            await using var read = await dbs.CreateDbContextAsync(ct);
            return Results.Created($"/api/analysis/ensembles/{ensemble.Id}", Json((await EnsembleResults.LoadAsync(read, ensemble.Id, ct))!));
        }).RequireAuthorization(AuthSetup.Researcher);

        app.MapGet("/api/analysis/ensembles", async (IDbContextFactory<DashboardDb> dbs, int? limit, CancellationToken ct) =>
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var list = await EnsembleResults.ListAsync(db, Math.Clamp(limit ?? 100, 1, 1000), ct);
            return Results.Ok(list.Select(x => new
            {
                x.Ensemble.Id, x.Ensemble.Name, x.Ensemble.Status, x.Ensemble.Error, x.Members, x.Ensemble.Evaluated,
                x.Ensemble.Accuracy, x.Ensemble.Loss, x.Ensemble.Ap, x.Ensemble.CreatedAt, x.Ensemble.FinishedAt,
            }));
        }).RequireAuthorization();

        app.MapGet("/api/analysis/ensembles/{id:long}", async (long id, IDbContextFactory<DashboardDb> dbs, CancellationToken ct) =>
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            return await EnsembleResults.LoadAsync(db, id, ct) is { } e ? Results.Ok(Json(e)) : Results.NotFound();
        }).RequireAuthorization();

        app.MapGet("/api/analysis/ensembles/{id:long}.csv", async (long id, IDbContextFactory<DashboardDb> dbs, CancellationToken ct) =>
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            return await EnsembleResults.LoadAsync(db, id, ct) is { } e
                ? Results.File(Encoding.UTF8.GetBytes(EnsembleResults.Csv(e)), "text/csv", $"ensemble-{id}.csv")
                : Results.NotFound();
        }).RequireAuthorization();
    }

    // [1, 2, 3], or "1,2,3" as the runs table links them.
    private static string? Ids(JsonElement runs, out long[] ids)
    {
        ids = [];
        if (runs.ValueKind == JsonValueKind.String)
            return RunIds.TryParse(runs.GetString(), EnsembleLauncher.MaxMembers, out ids, out var error) ? null : error;
        if (runs.ValueKind != JsonValueKind.Array) return "a list of run ids, e.g. [1, 2]";
        var list = new List<long>();
        foreach (var item in runs.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out var id) || id <= 0)
                return $"{item.GetRawText()} is not a run id (a positive whole number)";
            list.Add(id);
        }
        ids = [.. list];
        return null;
    }

    private static object Json(Ensemble e) => new
    {
        e.Id, e.Name, e.Status, e.Error, e.Checkpoint, e.Host, e.CreatedBy, e.CreatedAt, e.StartedAt, e.FinishedAt,
        e.Evaluated, MemberCount = e.Members.Count, e.Samples, e.Classes,
        Ensemble = new { e.Accuracy, e.Loss, e.Ap },
        Members = e.Members.Select(m => new { m.RunId, Run = m.Run?.DisplayName, Checkpoint = m.CheckpointFile, m.Accuracy, m.Loss, m.Ap }),
    };
}
