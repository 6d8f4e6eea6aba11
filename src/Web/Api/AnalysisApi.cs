using System.Globalization;
using System.Text;
using Dashboard.Data;
using Dashboard.Web.Analysis;
using Dashboard.Web.Queries;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Web.Api;

/// <summary>
/// /api/analysis/scaling (JSON) and /api/analysis/scaling.csv: the scaling-law fit of a sweep's runs (experiment=ID) or
/// of chosen runs (runs=1,2,3), on target, stat, x and law as <see cref="ScalingRequest"/> names them.
/// </summary>
public static class AnalysisApi
{
    public static void MapAnalysisApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/analysis/scaling", async (HttpRequest http, IDbContextFactory<DashboardDb> dbs, CancellationToken ct) =>
        {
            var (result, problem) = await RunAsync(http, dbs, ct);
            if (result is null) return problem!;
            var (_, frontier) = await ScalingQuery.FrontierAsync(dbs, result.Request.RunIds, result.Request.Target, ct);
            return Results.Ok(new
            {
                frontier = frontier.Select(p => new { flops = p.Flops, value = p.Value }),
                target = result.Request.Target, stat = result.Request.Stat, x = result.Request.X, law = result.Request.Law,
                error = result.Error,
                fit = result.Fit is { } f ? new
                {
                    formula = f.Formula(result.Request.X), a = Json(f.A), alpha = Json(f.Alpha), e = f.E is { } e ? Json(e) : null,
                    f.Bootstrap, rmse_log = f.Rmse,
                } : null,
                joint = result.Joint is { } j ? new
                {
                    a = Json(j.A), alpha = Json(j.Alpha), b = Json(j.B), beta = Json(j.Beta), e = j.E is { } je ? Json(je) : null,
                    n_opt_exponent = j.NExponent, d_opt_exponent = j.DExponent, j.Bootstrap, rmse_log = j.Rmse,
                } : null,
                runs = result.Runs.Select(r => new { id = r.Id, name = r.Name, r.X, n = Finite(r.N), d = Finite(r.D), value = r.Value, seed = r.Seed, fitted = r.Fitted }),
                groups = result.Groups.Select(g => new { g.X, g.Mean, g.Std, g.Runs }),
                skipped = result.Skipped,
            });
        }).RequireAuthorization();

        app.MapGet("/api/analysis/scaling.csv", async (HttpRequest http, IDbContextFactory<DashboardDb> dbs, CancellationToken ct) =>
        {
            var (result, problem) = await RunAsync(http, dbs, ct);
            if (result is null) return problem!;
            var csv = new StringBuilder("run_id,run,x,n,d,seed,value,fitted,residual_log\n");
            foreach (var r in result.Runs)
                csv.Append(CultureInfo.InvariantCulture, $"{r.Id},{r.Name},{R(r.X)},{R(r.N)},{R(r.D)},{r.Seed},{R(r.Value)},{R(r.Fitted)},")
                   .Append(r.Fitted is { } v ? R(Math.Log(r.Value) - Math.Log(v)) : "").Append('\n');
            return Results.File(Encoding.UTF8.GetBytes(csv.ToString()), "text/csv", $"scaling-{result.Request.Target}-{result.Request.X}.csv");
        }).RequireAuthorization();
    }

    /// <summary>/api/analysis/runtime and .csv: the runtime pivot (<see cref="RuntimePivot"/>) of a sweep's or chosen runs.</summary>
    public static void MapRuntimeApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/analysis/runtime", async (HttpRequest http, IDbContextFactory<DashboardDb> dbs, CancellationToken ct) =>
        {
            var (result, problem) = await PivotAsync(http, dbs, ct);
            if (result is null) return problem!;
            return Results.Ok(new
            {
                rows = result.Request.Rows, cols = result.Request.Cols, measure = result.Request.Measure, baseline = result.BaselineCell,
                row_values = result.RowValues, col_values = result.ColValues,
                cells = result.Cells.Select(c => new { row = c.Row, col = c.Col, runs = c.Runs, mean = c.Mean, std = c.Std, speed_up = c.SpeedUp, ideal = c.Ideal }),
                skipped = result.Skipped,
            });
        }).RequireAuthorization();

        app.MapGet("/api/analysis/runtime.csv", async (HttpRequest http, IDbContextFactory<DashboardDb> dbs, CancellationToken ct) =>
        {
            var (result, problem) = await PivotAsync(http, dbs, ct);
            if (result is null) return problem!;
            var csv = new StringBuilder($"{result.Request.Rows},{result.Request.Cols},runs,{result.Request.Measure}_mean,{result.Request.Measure}_std,speed_up,ideal\n");
            foreach (var c in result.Cells)
                csv.Append(CultureInfo.InvariantCulture, $"{c.Row},{c.Col},{c.Runs},{R(c.Mean)},{R(c.Std)},{R(c.SpeedUp)},{R(c.Ideal)}\n");
            return Results.File(Encoding.UTF8.GetBytes(csv.ToString()), "text/csv", $"runtime-{result.Request.Measure}.csv");
        }).RequireAuthorization();
    }

    private static async Task<(PivotResult?, IResult?)> PivotAsync(HttpRequest http, IDbContextFactory<DashboardDb> dbs, CancellationToken ct)
    {
        var q = http.Query;
        var (ids, problem) = await IdsAsync(http, dbs, ct);
        if (ids is null) return (null, problem);
        var request = new PivotRequest(ids, Or(q["rows"], ""), Or(q["cols"], ""), Or(q["measure"], "epoch_time"), q["baseline"].ToString() is { Length: > 0 } b ? b : null);
        var errors = RuntimePivot.Check(request);
        if (errors.Count > 0) return (null, Results.ValidationProblem(errors));
        return (await RuntimePivot.RunAsync(dbs, request, ct), null);
    }

    /// <summary>The runs a request names: experiment=ID (a sweep's) or runs=1,2,3.</summary>
    private static async Task<(long[]?, IResult?)> IdsAsync(HttpRequest http, IDbContextFactory<DashboardDb> dbs, CancellationToken ct)
    {
        var q = http.Query;
        if (q.TryGetValue("experiment", out var experiment))
        {
            if (!long.TryParse(experiment, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                return (null, BadQuery.Field("experiment", "an experiment id"));
            await using var db = await dbs.CreateDbContextAsync(ct);
            var ids = await AnalysisRuns.OfExperimentAsync(db, id, ct);
            return ids.Length == 0 ? (null, BadQuery.Field("experiment", $"no experiment {id} with runs")) : (ids, null);
        }
        return RunIds.TryParse(q["runs"], AnalysisRuns.MaxRuns, out var given, out var error)
            ? (given, null) : (null, BadQuery.Field("runs", error + " (or experiment=ID)"));
    }

    private static object Json(Estimate e) => new { value = e.Value, low = Finite(e.Low), high = Finite(e.High) };
    private static double? Finite(double v) => double.IsFinite(v) ? v : null;
    private static string R(double? v) => v is { } d && double.IsFinite(d) ? d.ToString("R", CultureInfo.InvariantCulture) : "";

    private static async Task<(ScalingResult?, IResult?)> RunAsync(HttpRequest http, IDbContextFactory<DashboardDb> dbs, CancellationToken ct)
    {
        var q = http.Query;
        var (ids, problem) = await IdsAsync(http, dbs, ct);
        if (ids is null) return (null, problem);
        var request = new ScalingRequest(ids, Or(q["target"], "val_loss"), Or(q["stat"], "final"), Or(q["x"], "N"), Or(q["law"], "offset"));
        var errors = ScalingQuery.Check(request);
        if (errors.Count > 0) return (null, Results.ValidationProblem(errors));
        await using var db = await dbs.CreateDbContextAsync(ct);
        return (await ScalingQuery.RunAsync(db, request, ct), null);
    }

    private static string Or(string? value, string fallback) => string.IsNullOrWhiteSpace(value) ? fallback : value.Trim();
}
