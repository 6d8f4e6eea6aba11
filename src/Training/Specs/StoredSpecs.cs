using System.Text.Json;
using System.Text.Json.Nodes;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Training.Specs;

/// <summary>
/// Brings the specs stored before runs kept only their applicable fields (<see cref="SpecApplicability"/>) to that
/// form, once at start: an MLP run stored with model.width would still match a filter on it. Idempotent, and cheap
/// when there is nothing to do: each stored spec is only scanned, and rewritten when it holds another kind's field.
/// Only the spec and params columns are written, so a worker updating a run's status meanwhile loses nothing.
/// </summary>
public static class StoredSpecs
{
    private const int Batch = 500;

    /// <summary>Returns how many runs and experiments were rewritten.</summary>
    public static async Task<int> PruneAsync(IDbContextFactory<DashboardDb> dbs, CancellationToken ct = default)
    {
        // The kinds each experiment's runs have, section by section: a sweep's template keeps what applies to any.
        var runKinds = new Dictionary<long, Dictionary<string, HashSet<string>>>();
        int changed = 0;
        long after = 0;
        while (true)
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var runs = await db.Runs.AsNoTracking().Where(r => r.Id > after).OrderBy(r => r.Id).Take(Batch)
                .Select(r => new { r.Id, r.ExperimentId, r.Spec, r.Params }).ToListAsync(ct);
            if (runs.Count == 0) break;
            var updates = new List<(long Id, string Spec, string Params)>();
            foreach (var run in runs)
            {
                if (!runKinds.TryGetValue(run.ExperimentId, out var experimentKinds)) runKinds[run.ExperimentId] = experimentKinds = [];
                var kinds = new Dictionary<string, HashSet<string>>();
                if (Scan(run.Spec, kinds) is not { } holdsOthers) continue;
                foreach (var (section, names) in kinds)
                    if (experimentKinds.TryGetValue(section, out var set)) set.UnionWith(names); else experimentKinds[section] = names;
                if (!holdsOthers && ParamsApply(run.Params, kinds)) continue;
                if (Read(run.Spec) is not { } spec) continue;
                foreach (var (section, names) in SpecApplicability.Kinds([spec]))
                    if (experimentKinds.TryGetValue(section, out var set)) set.UnionWith(names); else experimentKinds[section] = names;
                updates.Add((run.Id, SpecJson.Serialize(spec), PruneParams(run.Params, spec)));
            }
            await WriteAsync(db, updates, (db, u) => db.Runs.Where(r => r.Id == u.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.Spec, u.Spec).SetProperty(r => r.Params, u.Params), ct), ct);
            changed += updates.Count;
            after = runs[^1].Id;
        }

        after = 0;
        while (true)
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var experiments = await db.Experiments.AsNoTracking().Where(e => e.Id > after).OrderBy(e => e.Id).Take(Batch)
                .Select(e => new { e.Id, e.Spec }).ToListAsync(ct);
            if (experiments.Count == 0) break;
            var updates = new List<(long Id, string Spec)>();
            foreach (var experiment in experiments)
            {
                var kinds = runKinds.GetValueOrDefault(experiment.Id)?.ToDictionary(kv => kv.Key, kv => new HashSet<string>(kv.Value)) ?? [];
                if (Scan(experiment.Spec, kinds) is not true || Read(experiment.Spec) is not { } template) continue;
                var pruned = SpecJson.Serialize(template, kinds);
                if (pruned != experiment.Spec) updates.Add((experiment.Id, pruned));
            }
            await WriteAsync(db, updates, (db, u) => db.Experiments.Where(e => e.Id == u.Id).ExecuteUpdateAsync(s => s.SetProperty(e => e.Spec, u.Spec), ct), ct);
            changed += updates.Count;
            after = experiments[^1].Id;
        }
        return changed;
    }

    /// <summary>
    /// Adds the kinds a stored spec names to <paramref name="kinds"/> and says whether it holds a field of none of
    /// them; null when it does not read as JSON. A section that does not name its kind counts as holding one, so
    /// that the full read settles it.
    /// </summary>
    private static bool? Scan(string json, Dictionary<string, HashSet<string>> kinds)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            if (!SpecApplicability.AddKinds(document.RootElement, kinds)) return true;
            return SpecApplicability.HoldsOtherKinds(document.RootElement, kinds);
        }
        catch (JsonException) { return null; }
    }

    private static bool ParamsApply(string json, IReadOnlyDictionary<string, HashSet<string>> kinds)
    {
        if (json == "{}") return true;
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind != JsonValueKind.Object
                || document.RootElement.EnumerateObject().All(p => SpecApplicability.Applies(kinds, p.Name));
        }
        catch (JsonException) { return true; }
    }

    private static async Task WriteAsync<T>(DashboardDb db, List<T> updates, Func<DashboardDb, T, Task<int>> write, CancellationToken ct)
    {
        if (updates.Count == 0) return;
        // One transaction a batch: SQLite commits (and syncs) once, not once a row.
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        foreach (var update in updates) await write(db, update);
        await tx.CommitAsync(ct);
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
        JsonObject values;
        try { if (JsonNode.Parse(json) is JsonObject o) values = o; else return json; }
        catch (JsonException) { return json; }
        var drop = values.Select(kv => kv.Key).Where(k => !SpecApplicability.Applies(spec, k)).ToList();
        if (drop.Count == 0) return json;
        foreach (var key in drop) values.Remove(key);
        return values.ToJsonString();
    }
}
