using Dashboard.Data;
using Dashboard.Training.Specs;
using Microsoft.EntityFrameworkCore;
using Quartz;

namespace Dashboard.Training.Worker;

/// <summary>Stores an experiment with its runs, numbered within the project, and queues one trigger per run.</summary>
public sealed class RunLauncher(IDbContextFactory<DashboardDb> dbs, ISchedulerFactory schedulers, RunEvents events,
    Microsoft.Extensions.Options.IOptions<TrainingOptions> training, StorageOptions storage)
{
    public sealed record Launched(long ExperimentId, IReadOnlyList<long> RunIds, IReadOnlyList<string> RunNames);

    /// <summary>Stores the spec's runs (one, or every run of its sweep) and queues them; a bad sweep throws <see cref="InvalidSpecException"/>.</summary>
    public Task<Launched> LaunchAsync(ExperimentSpec spec, CancellationToken ct = default) => LaunchAsync(spec, Sweeps.Expand(spec), null, ct);

    /// <param name="launchedBy">The user, recorded and shown with each run.</param>
    public async Task<Launched> LaunchAsync(ExperimentSpec spec, IReadOnlyList<PlannedRun> runs, string? launchedBy, CancellationToken ct = default)
    {
        Confinement.Check(runs.Select(r => r.Spec), training.Value, storage.DataDir);
        await using var db = await dbs.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var now = DateTime.UtcNow;
        var experiment = new Experiment
        {
            Name = spec.Name, Spec = SpecJson.Serialize(spec), CreatedAt = now,
            Sweep = spec.Sweep is null ? null : System.Text.Json.JsonSerializer.Serialize(spec.Sweep, SpecJson.Options),
        };
        var next = (await db.Runs.Where(r => r.Project == spec.Name).MaxAsync(r => (int?)r.Number, ct) ?? 0) + 1;
        foreach (var planned in runs)
            experiment.Runs.Add(new Run
            {
                Project = spec.Name, Number = next++, Spec = SpecJson.Serialize(planned.Spec), CreatedAt = now,
                MaxEpochs = planned.Spec.MaxEpochs, Params = planned.ParamsJson(), LaunchedBy = launchedBy,
                ParameterCount = Models.ModelSizes.TryOf(planned.Spec)?.ParameterCount,
                FlopsPerSample = Models.ModelSizes.TryOf(planned.Spec)?.FlopsPerSample,
            });
        db.Experiments.Add(experiment);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);

        var ids = experiment.Runs.Select(r => r.Id).ToList();
        await QueueAsync(experiment.Runs.Select(r => new Queued(r.Id, now, spec.Priority)), ct);
        foreach (var id in ids) events.Publish(new RunEvent(id, RunEventKind.StatusChanged));
        return new Launched(experiment.Id, ids, experiment.Runs.Select(r => r.DisplayName).ToList());
    }

    /// <summary>New runs with the specs and sweep values of earlier ones, each numbered next in its project.</summary>
    public async Task<IReadOnlyList<(long Id, string Name)>> RerunAsync(IReadOnlyList<long> runIds, string? launchedBy, CancellationToken ct = default)
    {
        List<Run> sources;
        await using (var db = await dbs.CreateDbContextAsync(ct))
            sources = await db.Runs.AsNoTracking().Where(r => runIds.Contains(r.Id)).OrderBy(r => r.Id).ToListAsync(ct);
        var runs = new List<(long, string)>();
        foreach (var source in sources)
        {
            var spec = SpecJson.Parse(source.Spec);
            var values = System.Text.Json.Nodes.JsonNode.Parse(source.Params)!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value?.DeepClone());
            var launched = await LaunchAsync(spec, [new PlannedRun(spec, values)], launchedBy, ct);
            runs.Add((launched.RunIds[0], launched.RunNames[0]));
        }
        return runs;
    }

    /// <param name="Since">When it was first queued: order within one priority.</param>
    public readonly record struct Queued(long RunId, DateTime Since, int Priority);

    public async Task QueueAsync(IEnumerable<Queued> runs, CancellationToken ct = default)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        foreach (var run in runs)
        {
            var trigger = Trigger(TrainRunJob.TriggerFor(run.RunId), run.RunId, FireTime(run));
            // Keep: a run already queued is not queued twice.
            await scheduler.ScheduleTrigger(trigger, TriggerConflict.Keep, ct);
        }
    }

    /// <summary>
    /// Queues a takeover of a run still marked running whose hosts are all gone, at the run's own place in the queue;
    /// the host that takes it checks again that none of them is alive (<see cref="RunExecutor"/>).
    /// </summary>
    public async Task QueueTakeoverAsync(Queued run, CancellationToken ct = default)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        var trigger = Trigger(TrainRunJob.TakeoverFor(run.RunId), run.RunId, FireTime(run), recovering: true);
        await scheduler.ScheduleTrigger(trigger, TriggerConflict.Keep, ct);
    }

    /// <summary>The spec's priority; 0 for a spec stored by an older version that no longer parses.</summary>
    public static int PriorityOf(string spec)
    {
        try { return SpecJson.Parse(spec).Priority; }
        catch (InvalidSpecException) { return 0; }
    }

    private static ITrigger Trigger(TriggerKey key, long runId, DateTimeOffset at, bool recovering = false) => TriggerBuilder.Create()
        .WithIdentity(key)
        .ForJob(TrainRunJob.Key)
        .UsingJobData(TrainRunJob.RunIdKey, runId)
        .UsingJobData(TrainRunJob.RecoverKey, recovering ? 1L : 0L)
        .StartAt(at)
        // Quartz takes due triggers earliest fire time first. Ignoring misfires keeps a trigger that has waited in
        // the queue at its own time, where the default would move it to "now" and mix the order.
        .WithSimpleSchedule(x => x.WithMisfireInstruction(SimpleTriggerMisfireInstruction.IgnoreMisfires))
        .Build();

    /// <summary>
    /// The queue order as a fire time: a day earlier per priority point, then by when the run was queued. Always in
    /// the past (priority -100 is a day before it was queued), so that a low priority never means "later today".
    /// </summary>
    public static DateTimeOffset FireTime(Queued run) =>
        new DateTimeOffset(DateTime.SpecifyKind(run.Since, DateTimeKind.Utc)).AddDays(-(run.Priority + ExperimentSpec.MaxPriority + 1));
}
