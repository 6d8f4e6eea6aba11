using System.Text.Json.Nodes;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Web.Queries;

/// <summary>
/// What a run needs to be reproduced, beyond its spec: its seed, and what each attempt trained with (engine, libtorch,
/// BLAS, device), as the run page, the API and the exports give them.
/// </summary>
public static class RunEnvironments
{
    /// <summary>The runs' attempts, each run's in order (the last is the latest).</summary>
    public static async Task<ILookup<long, RunAttempt>> AttemptsAsync(DashboardDb db, IReadOnlyCollection<long> runIds, CancellationToken ct) =>
        (await db.RunAttempts.AsNoTracking().Where(a => runIds.Contains(a.RunId)).OrderBy(a => a.RunId).ThenBy(a => a.Number).ToListAsync(ct))
            .ToLookup(a => a.RunId);

    /// <summary>
    /// The seed the run trains with: its spec's. A stored spec holds it always (defaults are written out); a spec
    /// stored without one trains with the spec's default, 0, as the trainer reads it.
    /// </summary>
    public static long Seed(string spec) =>
        JsonNode.Parse(spec)?["seed"] is JsonValue v && v.TryGetValue<long>(out var seed) ? seed : 0;

    /// <summary>
    /// One attempt: where it ran and what with. <paramref name="report"/> adds libtorch's full build report, a few
    /// kilobytes, which the exports carry and lists leave out.
    /// </summary>
    public static JsonObject Json(RunAttempt a, bool report = false)
    {
        var json = new JsonObject
        {
            ["attempt"] = a.Number,
            ["host"] = a.Host,
            ["devices"] = a.Devices,
            ["started_at"] = a.StartedAt,
            ["ended_at"] = a.EndedAt,
            ["outcome"] = a.Outcome,
            ["resumed_after_epoch"] = a.ResumedAfterEpoch,
            ["engine_version"] = a.EngineVersion,
            ["torch_version"] = a.TorchVersion,
            ["torch_build"] = a.TorchBuild,
            ["blas"] = a.Blas,
            ["cpu_backends"] = a.CpuBackends,
            ["device_model"] = a.DeviceModel,
        };
        if (report) json["torch_report"] = a.TorchReport;
        return json;
    }

    /// <summary>The fields a run's JSON gains: seed, the latest attempt's environment (null before it first starts)
    /// and every attempt's.</summary>
    public static (long Seed, JsonObject? Latest, JsonArray Attempts) Of(Run run, IEnumerable<RunAttempt> attempts, bool report = false)
    {
        var all = attempts.ToList();
        return (Seed(run.Spec), all.Count == 0 ? null : Json(all[^1], report), new JsonArray([.. all.Select(a => (JsonNode)Json(a, report))]));
    }
}
