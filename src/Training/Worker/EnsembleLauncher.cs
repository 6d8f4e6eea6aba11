using Dashboard.Data;
using Dashboard.Training.Engine;
using Dashboard.Training.Specs;
using Hangfire;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Training.Worker;

/// <summary>
/// Checks what can be told from the database that a set of runs can be evaluated together (enough of them, ended,
/// trained, on one validation set, their checkpoints on one disk), stores the ensemble and queues its job where its
/// checkpoints can be read. What only the checkpoints' disk can tell (the files themselves) the job checks.
/// </summary>
public sealed class EnsembleLauncher(IDbContextFactory<DashboardDb> dbs, IBackgroundJobClient jobs, StorageOptions storage)
{
    public const int MaxMembers = 100;

    /// <summary>The stored ensemble, or the errors by field (runs, name, checkpoint) with nothing stored.</summary>
    public async Task<(Ensemble? Ensemble, SpecErrors Errors)> CreateAsync(IReadOnlyList<long> runIds, string? name, string? checkpoint,
        string? createdBy, CancellationToken ct = default)
    {
        var errors = new SpecErrors();
        name = string.IsNullOrWhiteSpace(name) ? null : name.Trim();
        checkpoint = string.IsNullOrWhiteSpace(checkpoint) ? EnsembleCheckpoint.Last : checkpoint.Trim();
        if (name is { Length: > Ensemble.NameLength }) errors.Add("name", $"at most {Ensemble.NameLength} characters, got {name.Length}");
        if (!EnsembleCheckpoint.All.Contains(checkpoint)) errors.Add("checkpoint", $"'{checkpoint}' is not one of {string.Join(", ", EnsembleCheckpoint.All)}");
        var ids = runIds.Distinct().ToList();
        if (ids.Count < EnsembleEvaluation.MinMembers)
            errors.Add("runs", $"choose at least {EnsembleEvaluation.MinMembers} different runs, got {ids.Count}");
        else if (ids.Count > MaxMembers)
            errors.Add("runs", $"at most {MaxMembers} runs in an ensemble, got {ids.Count}");
        if (errors.Any) return (null, errors);

        await using var db = await dbs.CreateDbContextAsync(ct);
        var runs = await db.Runs.AsNoTracking().Where(r => ids.Contains(r.Id)).ToDictionaryAsync(r => r.Id, ct);
        foreach (var missing in ids.Where(id => !runs.ContainsKey(id))) errors.Add("runs", $"no run {missing}");
        if (errors.Any) return (null, errors);
        var ordered = ids.Select(id => runs[id]).ToList();
        // The host of each run's last attempt wrote its last checkpoints.
        var hosts = (await db.RunAttempts.AsNoTracking().Where(a => ids.Contains(a.RunId))
                .Select(a => new { a.RunId, a.Number, a.Host }).ToListAsync(ct))
            .GroupBy(a => a.RunId).ToDictionary(g => g.Key, g => EnsembleQueues.MachineOf(g.MaxBy(a => a.Number)!.Host));

        var specs = new List<ExperimentSpec>();
        foreach (var run in ordered)
        {
            if (run.Status is RunStatus.Queued or RunStatus.Running)
                errors.Add("runs", $"{run.DisplayName} is {run.Status}: choose runs that have ended, whose last checkpoint stays as it is");
            else if (!hosts.ContainsKey(run.Id))
                errors.Add("runs", $"{run.DisplayName} never trained, so it has no checkpoint");
            try { specs.Add(SpecJson.Parse(run.Spec)); }
            catch (InvalidSpecException) { errors.Add("runs", $"{run.DisplayName}'s spec no longer reads; choose newer runs"); }
        }
        if (errors.Any) return (null, errors);
        for (int i = 1; i < ordered.Count; i++)
            if (EnsembleEvaluation.ValidationMismatch(ordered[0].DisplayName, specs[0], ordered[i].DisplayName, specs[i]) is { } why)
                errors.Add("runs", why);
        string? host = null;
        if (!storage.SharedDataDir)
        {
            var byHost = ordered.GroupBy(r => hosts[r.Id]).ToList();
            if (byHost.Count > 1)
                errors.Add("runs", $"the checkpoints are on different hosts ({string.Join("; ", byHost.Select(g => $"{g.Key}: {string.Join(", ", g.Select(r => r.DisplayName))}"))}) " +
                    "and no worker reads them all; with a data folder shared by every host, set Storage:SharedDataDir");
            else host = byHost[0].Key;
        }
        if (errors.Any) return (null, errors);

        var ensemble = new Ensemble
        {
            Name = name ?? DefaultName(ordered), Checkpoint = checkpoint, Host = host, CreatedBy = createdBy, CreatedAt = DateTime.UtcNow,
            Members = [.. ordered.Select((r, i) => new EnsembleMember { RunId = r.Id, Position = i })],
        };
        db.Ensembles.Add(ensemble);
        await db.SaveChangesAsync(ct);
        Queue(ensemble);
        return (ensemble, errors);
    }

    /// <summary>Its job, on the queue of the machine holding its checkpoints (or any worker's).</summary>
    public void Queue(Ensemble ensemble) =>
        jobs.Enqueue<EnsembleJob>(ensemble.Host is { } machine ? EnsembleQueues.Of(machine) : EnsembleQueues.Any, j => j.RunAsync(ensemble.Id));

    // "hps/00001 + hps/00002", or "hps: 5 runs" for more than three.
    private static string DefaultName(IReadOnlyList<Run> runs)
    {
        var projects = runs.Select(r => r.Project).Distinct().ToList();
        var name = runs.Count <= 3 ? string.Join(" + ", runs.Select(r => r.DisplayName))
            : $"{string.Join(", ", projects.Take(3))}{(projects.Count > 3 ? ", ..." : "")}: {runs.Count} runs";
        return name.Length <= Ensemble.NameLength ? name : name[..Ensemble.NameLength];
    }
}
