using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dashboard.Data;
using Dashboard.Web.Queries;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Web.Api;

/// <summary>
/// Downloads for analysis elsewhere (pandas, a notebook, a paper's plots): every stored point at full resolution as
/// CSV, and the runs' exact specs, seeds and environments (what each attempt trained with) as JSON. The CSV stays one
/// point a row: the environment is per run, and is joined from the JSON by the run's name.
/// </summary>
public static class ExportApi
{
    /// <summary>Far more than a page compares; a whole sweep's points in one file.</summary>
    private const int MaxRuns = 2000;

    public static void MapExportApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/runs/{id:long}/metrics.csv", async (long id, IDbContextFactory<DashboardDb> dbs, CancellationToken ct) =>
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var run = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, ct);
            if (run is null) return Results.NotFound();
            return Csv([run], null, dbs, $"{FileName(run)}-metrics.csv", ct);
        });

        app.MapGet("/api/runs/export.csv", async (string? ids, string? keys, IDbContextFactory<DashboardDb> dbs, CancellationToken ct) =>
        {
            var (runs, problem) = await FindAsync(ids, dbs, ct);
            if (problem is not null) return problem;
            var only = keys?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return Csv(runs, only is { Length: > 0 } ? only : null, dbs, runs.Count == 1 ? $"{FileName(runs[0])}-metrics.csv" : $"metrics-{runs.Count}-runs.csv", ct);
        });

        app.MapGet("/api/runs/export.json", async (string? ids, IDbContextFactory<DashboardDb> dbs, CancellationToken ct) =>
        {
            var (runs, problem) = await FindAsync(ids, dbs, ct);
            if (problem is not null) return problem;
            await using var db = await dbs.CreateDbContextAsync(ct);
            var attempts = await RunEnvironments.AttemptsAsync(db, [.. runs.Select(r => r.Id)], ct);
            var json = new JsonArray([.. runs.Select(r =>
            {
                // What reproducing the run takes: its spec and seed, and what each attempt trained with, libtorch's
                // full build report included.
                var (seed, environment, all) = RunEnvironments.Of(r, attempts[r.Id], report: true);
                return (JsonNode)new JsonObject
                {
                    ["id"] = r.Id,
                    ["name"] = r.DisplayName,
                    ["params"] = JsonNode.Parse(r.Params),
                    ["spec"] = JsonNode.Parse(r.Spec),
                    ["seed"] = seed,
                    ["environment"] = environment,
                    ["attempts"] = all,
                };
            })]);
            var bytes = Encoding.UTF8.GetBytes(json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return Results.File(bytes, "application/json", runs.Count == 1 ? $"{FileName(runs[0])}-spec.json" : $"specs-{runs.Count}-runs.json");
        });
    }

    /// <summary>The runs of ?ids=, in the order given; a 400 naming ids when the list is bad, a 404 naming the unknown ones.</summary>
    private static async Task<(List<Run> Runs, IResult? Problem)> FindAsync(string? text, IDbContextFactory<DashboardDb> dbs, CancellationToken ct)
    {
        if (!RunIds.TryParse(text, MaxRuns, out var ids, out var error)) return ([], BadQuery.Field("ids", error));
        await using var db = await dbs.CreateDbContextAsync(ct);
        var found = await db.Runs.AsNoTracking().Where(r => ids.Contains(r.Id)).ToDictionaryAsync(r => r.Id, ct);
        var missing = ids.Where(id => !found.ContainsKey(id)).ToList();
        if (missing.Count > 0)
            return ([], Results.Problem(statusCode: StatusCodes.Status404NotFound, detail: $"no run with id {string.Join(", ", missing)}"));
        return ([.. ids.Select(id => found[id])], null);
    }

    private static string FileName(Run r) => r.DisplayName.Replace('/', '-');

    // Streamed row by row from a raw reader: a sweep's export is millions of rows, which should never be held at once.
    private static IResult Csv(List<Run> runs, string[]? keys, IDbContextFactory<DashboardDb> dbs, string fileName, CancellationToken ct) =>
        Results.Stream(async body =>
        {
            await using var writer = new StreamWriter(body, new UTF8Encoding(false), 1 << 16);
            await writer.WriteAsync("run,key,step,value,time\n");
            await using var db = await dbs.CreateDbContextAsync(ct);
            var ids = runs.Select(r => r.Id).ToList();
            // Keys from the summaries, sorted here: the databases' collations order "val_ap" and "val_accuracy" differently.
            var stored = (await db.MetricSummaries.Where(s => ids.Contains(s.RunId)).Select(s => new { s.RunId, s.Key }).ToListAsync(ct))
                .ToLookup(s => s.RunId, s => s.Key);
            var conn = db.Database.GetDbConnection();
            await db.Database.OpenConnectionAsync(ct);
            await using var cmd = conn.CreateCommand();
            // Each (run, key) is a walk along the primary key (run_id, key, step).
            cmd.CommandText = "SELECT step, value, time FROM metric_points WHERE run_id = @r AND key = @k ORDER BY step";
            var r = cmd.AddParameter("@r", 0L);
            var k = cmd.AddParameter("@k", "");
            foreach (var run in runs)
            {
                var name = Field(run.DisplayName);
                foreach (var key in stored[run.Id].Where(key => keys is null || keys.Contains(key)).Order(StringComparer.Ordinal))
                {
                    (r.Value, k.Value) = (run.Id, key);
                    var keyField = Field(key);
                    await using var reader = await cmd.ExecuteReaderAsync(ct);
                    while (await reader.ReadAsync(ct))
                    {
                        var time = DateTime.SpecifyKind(reader.GetDateTime(2), DateTimeKind.Utc);
                        await writer.WriteAsync(string.Create(CultureInfo.InvariantCulture,
                            $"{name},{keyField},{reader.GetInt64(0)},{reader.GetDouble(1):R},{time:yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'}\n"));
                    }
                }
            }
        }, "text/csv; charset=utf-8", fileName);

    /// <summary>A CSV field, quoted when it holds a separator, a quote or a line break (RFC 4180).</summary>
    private static string Field(string s) =>
        s.AsSpan().IndexOfAny(",\"\r\n") < 0 ? s : $"\"{s.Replace("\"", "\"\"")}\"";
}
