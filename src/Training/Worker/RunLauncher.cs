using Dashboard.Data;
using Dashboard.Training.Specs;
using Microsoft.EntityFrameworkCore;
using Hangfire;

namespace Dashboard.Training.Worker;

/// <summary>Stores an experiment with its runs, numbered within the project, and queues one Hangfire job per run.</summary>
public sealed class RunLauncher(IDbContextFactory<DashboardDb> dbs, IBackgroundJobClient jobs, RunEvents events,
    Microsoft.Extensions.Options.IOptions<TrainingOptions> training, StorageOptions storage)
{
    public sealed record Launched(long ExperimentId, IReadOnlyList<long> RunIds, IReadOnlyList<string> RunNames);

    /// <summary>Stores the spec's runs (one, or every run of its sweep) and queues them; a bad sweep throws <see cref="InvalidSpecException"/>.</summary>
    public Task<Launched> LaunchAsync(ExperimentSpec spec, CancellationToken ct = default) => LaunchAsync(spec, Sweeps.Expand(spec), null, ct);

    /// <param name="launchedBy">The user, recorded and shown with each run.</param>
    public async Task<Launched> LaunchAsync(ExperimentSpec spec, IReadOnlyList<PlannedRun> runs, string? launchedBy, CancellationToken ct = default)
    {
        Confinement.Check(runs.Select(r => r.Spec), training.Value, storage.DataDir);
        // Stored with early_stop's max_epochs filled in, as the worker and the sweep page read it.
        spec = Sweeps.Complete(spec);
        await using var db = await dbs.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var now = DateTime.UtcNow;
        var experiment = new Experiment
        {
            // The template keeps what applies to any of its runs: a sweep may make runs of several kinds.
            Name = spec.Name, Spec = SpecJson.SerializeFor(spec, [spec, .. runs.Select(r => r.Spec)]), CreatedAt = now,
            Sweep = spec.Sweep is null ? null : System.Text.Json.JsonSerializer.Serialize(spec.Sweep, SpecJson.Options),
        };
        var forks = await ForkSourcesAsync(db, runs, ct);
        var next = (await db.Runs.Where(r => r.Project == spec.Name).MaxAsync(r => (int?)r.Number, ct) ?? 0) + 1;
        foreach (var planned in runs)
        {
            var fork = planned.Spec.ForkFrom is { } from ? forks[from] : null;
            experiment.Runs.Add(new Run
            {
                Project = spec.Name, Number = next++, Spec = SpecJson.Serialize(planned.Spec), CreatedAt = now,
                MaxEpochs = planned.Spec.MaxEpochs, Params = planned.ParamsJson(), LaunchedBy = launchedBy,
                ParameterCount = Models.ModelSizes.TryOf(planned.Spec)?.ParameterCount,
                FlopsPerSample = Models.ModelSizes.TryOf(planned.Spec)?.FlopsPerSample,
                SweepIndex = planned.SweepIndex, ProposedBy = planned.ProposedBy,
                ForkOfRunId = fork?.Parent.Id, ForkCheckpoint = fork?.Reference.Checkpoint, ForkEpoch = fork?.State.Epoch, ForkStep = fork?.State.Step,
            });
        }
        db.Experiments.Add(experiment);
        await db.SaveChangesAsync(ct);
        CopyForkCheckpoints(experiment.Runs, forks);
        await tx.CommitAsync(ct);

        var ids = experiment.Runs.Select(r => r.Id).ToList();
        await QueueAsync(experiment.Runs.Select(r => new Queued(r.Id, spec.Priority)), ct);
        foreach (var id in ids) events.Publish(new RunEvent(id, RunEventKind.StatusChanged));
        return new Launched(experiment.Id, ids, experiment.Runs.Select(r => r.DisplayName).ToList());
    }

    /// <summary>The checkpoint of each fork_from the runs name; one that went since the launch checks ran is refused.</summary>
    private async Task<Dictionary<string, ForkSource>> ForkSourcesAsync(DashboardDb db, IReadOnlyList<PlannedRun> runs, CancellationToken ct)
    {
        var sources = new Dictionary<string, ForkSource>(StringComparer.Ordinal);
        var errors = new SpecErrors();
        foreach (var reference in runs.Select(r => r.Spec.ForkFrom).OfType<string>().Distinct())
        {
            var (source, error) = await ForkSource.FindAsync(db, storage, reference, ct);
            if (source is null) errors.Add("fork_from", error!);
            else sources[reference] = source;
        }
        if (errors.Any) throw new InvalidSpecException(errors);
        return sources;
    }

    /// <summary>
    /// Gives each fork its starting checkpoint before its job exists (inside the launch's transaction: a copy that
    /// fails leaves no run behind that would train from scratch instead).
    /// </summary>
    private void CopyForkCheckpoints(IEnumerable<Run> runs, Dictionary<string, ForkSource> forks)
    {
        var copied = new List<string>();
        try
        {
            foreach (var run in runs.Where(r => r.ForkOfRunId is not null))
            {
                var dir = storage.CheckpointDir(run.Id);
                copied.Add(dir);
                forks[SpecJson.Parse(run.Spec).ForkFrom!].CopyTo(dir);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            foreach (var dir in copied.Where(Directory.Exists)) Directory.Delete(dir, recursive: true);
            var errors = new SpecErrors();
            errors.Add("fork_from", $"the checkpoint could not be copied for the new run: {e.Message}");
            throw new InvalidSpecException(errors);
        }
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

    public readonly record struct Queued(long RunId, int Priority);

    /// <summary>One job per run, in the queue of its priority; a run may get a second job (a re-queue at start): the claim makes that harmless.</summary>
    public Task QueueAsync(IEnumerable<Queued> runs, CancellationToken ct = default)
    {
        foreach (var run in runs)
        {
            ct.ThrowIfCancellationRequested();
            jobs.Enqueue<TrainRunJob>(QueueOf(run.Priority), j => j.RunAsync(run.RunId, null));
        }
        return Task.CompletedTask;
    }

    /// <summary>The spec's priority; 0 for a spec stored by an older version that no longer parses.</summary>
    public static int PriorityOf(string spec)
    {
        try { return SpecJson.Parse(spec).Priority; }
        catch (InvalidSpecException) { return 0; }
    }

    /// <summary>
    /// The Hangfire queue of a priority. Hangfire.PostgreSql fetches by queue name, then job id, and Hangfire.InMemory
    /// takes the queues in the order a server lists them (<see cref="Queues"/>), so either way a higher priority goes
    /// first, and within one queue the run queued first. A server waits on one handle per queue and can wait on at most
    /// 64, so not one queue per priority: each from -20 to 20 has its own, and beyond that ten share one (21-30, ...,
    /// 91-100, and the same below -20): p00 is 91 to 100, p28 is 0, p56 is -91 to -100.
    /// </summary>
    public static string QueueOf(int priority)
    {
        int p = Math.Clamp(priority, -ExperimentSpec.MaxPriority, ExperimentSpec.MaxPriority);
        int rank = p > ExactPriorities ? ExactPriorities + (p - ExactPriorities + 9) / 10
            : p < -ExactPriorities ? -ExactPriorities - (-p - ExactPriorities + 9) / 10
            : p;
        return $"p{TopRank - rank:00}";
    }

    private const int ExactPriorities = 20;
    private static readonly int TopRank = ExactPriorities + (ExperimentSpec.MaxPriority - ExactPriorities + 9) / 10;

    /// <summary>Every run queue, highest priority first: what each worker's Hangfire server listens to.</summary>
    public static readonly string[] Queues =
        [.. Enumerable.Range(-ExperimentSpec.MaxPriority, 2 * ExperimentSpec.MaxPriority + 1).Reverse().Select(QueueOf).Distinct()];
}
