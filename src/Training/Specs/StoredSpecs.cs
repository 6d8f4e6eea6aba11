using System.Text.Json;
using System.Text.Json.Nodes;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Training.Specs;

/// <summary>
/// Brings the specs stored before runs kept only their applicable fields (<see cref="SpecApplicability"/>) to that
/// form, once at start: an MLP run stored with model.width would still match a filter on it. Idempotent; a spec already
/// in that form is read and left alone. Only the spec and params columns are written, so a worker updating a run's
/// status at the same time loses nothing.
/// </summary>
public static class StoredSpecs
{
    private const int Batch = 500;

    /// <summary>Returns how many runs and experiments were rewritten.</summary>
    public static async Task<int> PruneAsync(IDbContextFactory<DashboardDb> dbs, CancellationToken ct = default)
    {
        int changed = 0;
        long after = 0;
        while (true)
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var runs = await db.Runs.Where(r => r.Id > after).OrderBy(r => r.Id).Take(Batch).ToListAsync(ct);
            if (runs.Count == 0) break;
            foreach (var run in runs)
            {
                if (Read(run.Spec) is not { } spec) continue;
                var pruned = SpecJson.Serialize(spec);
                var values = PruneParams(run.Params, spec);
                if (pruned == run.Spec && values == run.Params) continue;
                (run.Spec, run.Params) = (pruned, values);
                changed++;
            }
            await db.SaveChangesAsync(ct);
            after = runs[^1].Id;
        }

        after = 0;
        while (true)
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var experiments = await db.Experiments.Where(e => e.Id > after).OrderBy(e => e.Id).Take(Batch).ToListAsync(ct);
            if (experiments.Count == 0) break;
            // A sweep's template keeps what applies to any of its runs (they may be of several kinds); a single run's
            // template is that run's spec.
            var swept = experiments.Where(e => e.Sweep is not null).Select(e => e.Id).ToList();
            var runSpecs = (await db.Runs.Where(r => swept.Contains(r.ExperimentId)).Select(r => new { r.ExperimentId, r.Spec }).ToListAsync(ct))
                .ToLookup(r => r.ExperimentId, r => r.Spec);
            foreach (var experiment in experiments)
            {
                if (Read(experiment.Spec) is not { } template) continue;
                var pruned = SpecJson.SerializeFor(template, [template, .. runSpecs[experiment.Id].Select(Read).OfType<ExperimentSpec>()]);
                if (pruned == experiment.Spec) continue;
                experiment.Spec = pruned;
                changed++;
            }
            await db.SaveChangesAsync(ct);
            after = experiments[^1].Id;
        }
        return changed;
    }

    /// <summary>A stored spec as it was written, unchecked (validation rules may have grown since); null if it no longer reads.</summary>
    private static ExperimentSpec? Read(string json)
    {
        try { return JsonSerializer.Deserialize<ExperimentSpec>(json, SpecJson.Options); }
        catch (JsonException) { return null; }
    }

    /// <summary>The run's sweep values without those at keys that do not apply to it, as the launcher now stores them.</summary>
    private static string PruneParams(string json, ExperimentSpec spec)
    {
        if (JsonNode.Parse(json) is not JsonObject values) return json;
        var drop = values.Select(kv => kv.Key).Where(k => !SpecApplicability.Applies(spec, k)).ToList();
        if (drop.Count == 0) return json;
        foreach (var key in drop) values.Remove(key);
        return values.ToJsonString();
    }
}
