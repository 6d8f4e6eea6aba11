using System.Text.Json;
using System.Text.Json.Nodes;
using Dashboard.Data;
using Dashboard.Training.Specs;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Dashboard.Training.Worker;

/// <summary>
/// A tpe sweep's next runs: when one of its runs ends, a <see cref="ProposeNextJob"/> proposes runs from the finished
/// ones until <c>parallel</c> are training or queued, or the <c>budget</c> is used. Idempotent: each proposal's index is
/// the number of runs the sweep has, (experiment, index) is unique, and the proposals are made under the sweep's row
/// lock, so a job run twice, or two at once on two hosts, adds each run once.
/// A proposal that cannot train (its values make a spec the rules refuse, or a run larger than its device's memory on
/// any host) is added as a failed run saying why, without a job, and counts as a failed trial (the worst): nobody is at
/// the form to be told, a retried job would only draw it again, and the next proposal is made at once.
/// </summary>
public sealed class TpeProposer(IDbContextFactory<DashboardDb> dbs, RunLauncher launcher, RunEvents events, DeviceMemory memory,
    ILogger<TpeProposer> log)
{
    /// <summary>The runs it added (none when the sweep is full, finished, or not a tpe sweep).</summary>
    public async Task<IReadOnlyList<long>> ProposeAsync(long experimentId, CancellationToken ct = default)
    {
        List<Run> added = [], refused = [];
        int priority = 0;
        // Read before the sweep's lock is taken: it opens its own connection.
        var limits = await memory.LimitsAsync(ct);
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            // The sweep's row first, with a write that changes nothing: a row lock on PostgreSQL, the write lock on SQLite.
            if (await db.Experiments.Where(e => e.Id == experimentId).ExecuteUpdateAsync(u => u.SetProperty(e => e.Name, e => e.Name), ct) == 0)
                return [];
            var experiment = await db.Experiments.AsNoTracking().FirstAsync(e => e.Id == experimentId, ct);
            if (experiment.Sweep is null || JsonSerializer.Deserialize<SweepSpec>(experiment.Sweep, SpecJson.Options) is not { Method: "tpe" } sweep)
                return [];
            var spec = SpecJson.Parse(experiment.Spec) with { Sweep = sweep };
            priority = spec.Priority;
            var runs = await db.Runs.AsNoTracking().Where(r => r.ExperimentId == experimentId).OrderBy(r => r.SweepIndex).ThenBy(r => r.Id)
                .Select(r => new { r.Id, r.Status, r.Params }).ToListAsync(ct);
            var finishedIds = runs.Where(r => RunStatus.IsFinished(r.Status)).Select(r => r.Id).ToList();
            var objective = await db.MetricSummaries.AsNoTracking().Where(m => finishedIds.Contains(m.RunId) && m.Key == sweep.Objective)
                .ToDictionaryAsync(m => m.RunId, m => m.LastValue, ct);
            // A run stopped early counts with its last value, as Optuna ranks a pruned trial; a failed one without a
            // value as the worst (NaN). A cancelled run is a finished trial too: its index is taken either way.
            var finished = runs.Where(r => RunStatus.IsFinished(r.Status))
                .Select(r => new TpeTrial(ParamsOf(r.Params), objective.TryGetValue(r.Id, out var v) ? v : double.NaN)).ToList();
            var pending = runs.Where(r => !RunStatus.IsFinished(r.Status)).Select(r => ParamsOf(r.Params)).ToList();
            int total = runs.Count;
            var next = (await db.Runs.Where(r => r.Project == spec.Name).MaxAsync(r => (int?)r.Number, ct) ?? 0) + 1;
            var now = DateTime.UtcNow;
            while (total < sweep.Budget && pending.Count < sweep.ParallelRuns)
            {
                var planned = Sweeps.Propose(spec with { Sweep = null }, sweep, finished, pending);
                var refusal = Refusal(planned, limits);
                var sized = planned.Refused is null ? Models.ModelSizes.TryOf(planned.Spec) : null;
                var run = new Run
                {
                    ExperimentId = experimentId, Project = spec.Name, Number = next++, Spec = SpecJson.Serialize(planned.Spec),
                    CreatedAt = now, MaxEpochs = planned.Spec.MaxEpochs, Params = planned.ParamsJson(), LaunchedBy = await LaunchedByAsync(db, experimentId, ct),
                    ParameterCount = sized?.ParameterCount, FlopsPerSample = sized?.FlopsPerSample,
                    SweepIndex = planned.SweepIndex, ProposedBy = planned.ProposedBy,
                };
                db.Runs.Add(run);
                if (refusal is null)
                {
                    added.Add(run);
                    pending.Add(planned.Params);
                }
                else
                {
                    (run.Status, run.Error, run.FinishedAt) = (RunStatus.Failed, refusal, now);
                    refused.Add(run);
                    finished.Add(new TpeTrial(planned.Params, double.NaN));
                }
                total++;
            }
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        // A process that dies here leaves the runs queued without a job: its start-up queues them again (WorkerStartup).
        await launcher.QueueAsync(added.Select(r => new RunLauncher.Queued(r.Id, priority)), ct);
        foreach (var run in added)
        {
            events.Publish(new RunEvent(run.Id, RunEventKind.StatusChanged));
            log.LogInformation("Sweep {Experiment}: proposed run {Run} (#{Index}, {By}): {Params}", experimentId, run.DisplayName, run.SweepIndex, run.ProposedBy, run.Params);
        }
        foreach (var run in refused)
        {
            events.Publish(new RunEvent(run.Id, RunEventKind.StatusChanged));
            log.LogWarning("Sweep {Experiment}: proposal {Run} (#{Index}) not trained: {Error}", experimentId, run.DisplayName, run.SweepIndex, run.Error);
        }
        return [.. added.Select(r => r.Id)];
    }

    /// <summary>Why a proposal cannot train, as its run's error says it; null when it can.</summary>
    public static string? Refusal(PlannedRun planned, IReadOnlyDictionary<string, long> limits)
    {
        if (planned.Refused is { } errors) return $"proposal not trained: {errors}";
        if (Models.MemoryEstimate.TryFor(planned.Spec) is not { } estimate) return null;
        var limit = limits.TryGetValue(planned.Spec.Device, out var bytes) ? bytes : (long?)null;
        return Models.MemoryFit.Problem(planned.Spec, estimate, limit) is var (field, message) ? $"proposal not trained: {field}: {message}" : null;
    }

    /// <summary>After one of its runs ended: a proposal job for a tpe sweep, queued at the sweep's priority.</summary>
    public async Task AfterRunAsync(long runId, IBackgroundJobClient jobs, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var run = await db.Runs.AsNoTracking().Where(r => r.Id == runId)
            .Select(r => new { r.ExperimentId, r.SweepIndex, r.Spec }).FirstOrDefaultAsync(ct);
        if (run?.SweepIndex is null) return;
        jobs.Enqueue<ProposeNextJob>(RunLauncher.QueueOf(RunLauncher.PriorityOf(run.Spec)), j => j.RunAsync(run.ExperimentId));
    }

    /// <summary>The tpe sweeps that may still want runs, for the start-up: a proposal job lost with its process is made again.</summary>
    public async Task<IReadOnlyList<long>> OpenSweepsAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var sweeps = await db.Runs.AsNoTracking().Where(r => r.SweepIndex != null).Select(r => r.ExperimentId).Distinct().ToListAsync(ct);
        var open = new List<long>();
        foreach (var id in sweeps)
        {
            var json = await db.Experiments.Where(e => e.Id == id).Select(e => e.Sweep).FirstAsync(ct);
            var budget = json is null ? 0 : JsonSerializer.Deserialize<SweepSpec>(json, SpecJson.Options)?.Budget ?? 0;
            if (await db.Runs.CountAsync(r => r.ExperimentId == id, ct) < budget) open.Add(id);
        }
        return open;
    }

    private static async Task<string?> LaunchedByAsync(DashboardDb db, long experimentId, CancellationToken ct) =>
        await db.Runs.Where(r => r.ExperimentId == experimentId).OrderBy(r => r.Id).Select(r => r.LaunchedBy).FirstOrDefaultAsync(ct);

    private static IReadOnlyDictionary<string, JsonNode?> ParamsOf(string json) =>
        JsonNode.Parse(json) is JsonObject o ? o.ToDictionary(kv => kv.Key, kv => kv.Value?.DeepClone()) : new Dictionary<string, JsonNode?>();
}

/// <summary>
/// Thin: carries the sweep's id; <see cref="TpeProposer"/> does the work, idempotently, so Hangfire's default retries
/// (10, spaced out) are safe. No retry attribute of its own: Hangfire builds one with its process-wide log provider,
/// which is the last app's to configure Hangfire (in a test process, possibly one already disposed).
/// </summary>
public sealed class ProposeNextJob(TpeProposer proposer)
{
    public Task RunAsync(long experimentId) => proposer.ProposeAsync(experimentId);
}
