using System.Text.Json.Nodes;
using Dashboard.Data;
using Dashboard.Training.Worker;
using Dashboard.Web.Auth;
using Dashboard.Web.Queries;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Web.Api;

public static class RunsApi
{
    public static void MapRunsApi(this IEndpointRouteBuilder app)
    {
        // The runs table's query (status, tag, q, experiment, ids, filter, sort, order, limit, offset); the number of
        // matching runs, beyond this page, is in X-Total-Count.
        app.MapGet("/api/runs", async (HttpRequest request, IDbContextFactory<DashboardDb> dbs, CancellationToken ct) =>
        {
            var errors = new Dictionary<string, string[]>();
            var query = RunQuery.Parse(request.Query, errors);
            if (errors.Count > 0) return Results.ValidationProblem(errors);
            await using var db = await dbs.CreateDbContextAsync(ct);
            var result = await query.RunAsync(db, errors, ct);
            if (errors.Count > 0) return Results.ValidationProblem(errors);
            var ids = result.Rows.Select(r => r.Id).ToList();
            var runs = await db.Runs.AsNoTracking().Where(r => ids.Contains(r.Id)).ToDictionaryAsync(r => r.Id, ct);
            var metrics = await MetricsOf(db, ids, ct);
            var attempts = await RunEnvironments.AttemptsAsync(db, ids, ct);
            request.HttpContext.Response.Headers["X-Total-Count"] = result.Total.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Results.Ok(result.Rows.Select(row => ToJson(runs[row.Id], metrics.GetValueOrDefault(row.Id), attempts[row.Id])));
        });

        app.MapGet("/api/runs/{id:long}", async (long id, IDbContextFactory<DashboardDb> dbs, CancellationToken ct) =>
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var run = await db.Runs.FindAsync([id], ct);
            return run is null ? Results.NotFound() : Results.Ok(await ToJsonAsync(db, run, ct));
        });

        // Tags and notes, the researcher's own; everything else of a run is the system's.
        app.MapMethods("/api/runs/{id:long}", ["PATCH"], async (long id, RunEdit edit, HttpContext http, IDbContextFactory<DashboardDb> dbs, CancellationToken ct) =>
        {
            var errors = new Dictionary<string, string[]>();
            var tags = edit.Tags?.Select(t => t.Trim()).Where(t => t.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            if (tags?.FirstOrDefault(t => !RunTags.IsValid(t)) is { } bad) errors["tags"] = [$"'{bad}': a tag is 1 to {RunTags.MaxTag} characters, without commas"];
            else if (tags is not null && !RunTags.Fit(tags)) errors["tags"] = [$"at most {RunTags.MaxLength} characters of tags"];
            if (edit.Notes is { Length: > RunTags.MaxNotes }) errors["notes"] = [$"at most {RunTags.MaxNotes:N0} characters"];
            if (errors.Count > 0) return Results.ValidationProblem(errors);
            await using var db = await dbs.CreateDbContextAsync(ct);
            var run = await db.Runs.FindAsync([id], ct);
            if (run is null) return Results.NotFound();
            if (!http.User.MayChange(run)) return Forbidden(run);
            if (tags is not null) run.Tags = RunTags.Format(tags);
            if (edit.Notes is not null) run.Notes = edit.Notes;
            await db.SaveChangesAsync(ct);
            return Results.Ok(await ToJsonAsync(db, run, ct));
        }).RequireAuthorization(AuthSetup.Researcher);

        app.MapPost("/api/runs/{id:long}/rerun", async (long id, HttpContext http, RunLauncher launcher, IDbContextFactory<DashboardDb> dbs, CancellationToken ct) =>
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            if (!await db.Runs.AnyAsync(r => r.Id == id, ct)) return Results.NotFound();
            try
            {
                var (runId, name) = (await launcher.RerunAsync([id], http.User.Name(), ct))[0];
                return Results.Created($"/api/runs/{runId}", new { run_id = runId, name });
            }
            catch (Dashboard.Training.Specs.InvalidSpecException e)
            {
                // A spec launched under another configuration may name a folder this one does not allow.
                return Results.ValidationProblem(e.Errors.ToDictionary(), title: "This run's spec cannot be launched again here.");
            }
        }).RequireAuthorization(AuthSetup.Researcher);
    }

    /// <summary>POST /api/runs/{id}/cancel: a queued run is cancelled at once (200), a running one is stopped by its host within seconds (202).</summary>
    public static void MapRunCancelApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/runs/{id:long}/cancel", async (long id, HttpContext http, RunCancellation cancellation, IDbContextFactory<DashboardDb> dbs, CancellationToken ct) =>
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            if (await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, ct) is { } target && !http.User.MayChange(target))
                return Forbidden(target);
            var outcome = await cancellation.RequestAsync(id, http.User.Name(), ct);
            var run = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, ct);
            return outcome switch
            {
                CancelOutcome.NotFound => Results.NotFound(),
                CancelOutcome.AlreadyFinished => Results.Problem(statusCode: StatusCodes.Status409Conflict,
                    detail: $"run {run!.DisplayName} has already ended: {run.Status}"),
                CancelOutcome.Requested => Results.Accepted($"/api/runs/{id}", await ToJsonAsync(db, run!, ct)),
                _ => Results.Ok(await ToJsonAsync(db, run!, ct)),
            };
        }).RequireAuthorization(AuthSetup.Researcher);
    }

    private static IResult Forbidden(Run run) => Results.Problem(statusCode: StatusCodes.Status403Forbidden,
        detail: $"run {run.DisplayName} was launched by {run.LaunchedBy ?? "nobody known"}; a researcher changes only their own runs");

    public sealed record RunEdit(string[]? Tags, string? Notes);

    /// <summary>Latest, lowest and highest value of each metric of these runs, from the summary rows.</summary>
    private static async Task<Dictionary<long, Dictionary<string, object>>> MetricsOf(DashboardDb db, List<long> ids, CancellationToken ct) =>
        (await db.MetricSummaries.AsNoTracking().Where(s => ids.Contains(s.RunId)).ToListAsync(ct))
            .GroupBy(s => s.RunId)
            .ToDictionary(g => g.Key, g => g.OrderBy(s => s.Key, StringComparer.Ordinal).ToDictionary(s => s.Key,
                s => (object)new { last = s.LastValue, min = s.MinValue, max = s.MaxValue, step = s.LastStep }));

    private static async Task<object> ToJsonAsync(DashboardDb db, Run r, CancellationToken ct) =>
        ToJson(r, (await MetricsOf(db, [r.Id], ct)).GetValueOrDefault(r.Id), (await RunEnvironments.AttemptsAsync(db, [r.Id], ct))[r.Id]);

    private static object ToJson(Run r, Dictionary<string, object>? metrics, IEnumerable<RunAttempt> attempts)
    {
        var (seed, environment, all) = RunEnvironments.Of(r, attempts);
        return new
        {
            id = r.Id,
            name = r.DisplayName,
            experiment_id = r.ExperimentId,
            status = r.Status,
            spec = JsonNode.Parse(r.Spec),
            created_at = r.CreatedAt,
            started_at = r.StartedAt,
            finished_at = r.FinishedAt,
            error = r.Error,
            epoch = r.Epoch,
            max_epochs = r.MaxEpochs,
            diverged_at_step = r.DivergedAtStep,
            cancel_requested_at = r.CancelRequestedAt,
            @params = JsonNode.Parse(r.Params),
            tags = RunTags.Parse(r.Tags),
            notes = r.Notes,
            launched_by = r.LaunchedBy,
            cancelled_by = r.CancelledBy,
            parameter_count = r.ParameterCount,
            flops_per_sample = r.FlopsPerSample,
            // A tpe sweep's proposal: its place and whether the model ("tpe") or a random draw made it.
            sweep_index = r.SweepIndex,
            proposed_by = r.ProposedBy,
            // A fork's lineage: the run and checkpoint it started from, and the epoch and step it went on after.
            fork_of = r.ForkOfRunId is { } parent
                ? new { run_id = parent, checkpoint = r.ForkCheckpoint, epoch = r.ForkEpoch, step = r.ForkStep }
                : null,
            metrics = metrics ?? [],
            seed,
            environment,
            attempts = all,
        };
    }
}
