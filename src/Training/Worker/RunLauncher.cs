using Dashboard.Data;
using Dashboard.Training.Specs;
using Microsoft.EntityFrameworkCore;
using Quartz;

namespace Dashboard.Training.Worker;

/// <summary>Stores an experiment with its runs, numbered within the project, and queues one trigger per run.</summary>
public sealed class RunLauncher(IDbContextFactory<DashboardDb> dbs, ISchedulerFactory schedulers, RunEvents events)
{
    public sealed record Launched(long ExperimentId, IReadOnlyList<long> RunIds);

    public async Task<Launched> LaunchAsync(ExperimentSpec spec, CancellationToken ct = default)
    {
        var specJson = SpecJson.Serialize(spec);
        var runSpecs = new[] { spec }; // one run per experiment until sweeps expand a spec into many
        await using var db = await dbs.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var now = DateTime.UtcNow;
        var experiment = new Experiment { Name = spec.Name, Spec = specJson, CreatedAt = now };
        var next = (await db.Runs.Where(r => r.Project == spec.Name).MaxAsync(r => (int?)r.Number, ct) ?? 0) + 1;
        foreach (var s in runSpecs)
            experiment.Runs.Add(new Run
            {
                Project = spec.Name, Number = next++, Spec = SpecJson.Serialize(s), CreatedAt = now, MaxEpochs = s.MaxEpochs,
            });
        db.Experiments.Add(experiment);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);

        var ids = experiment.Runs.Select(r => r.Id).ToList();
        await QueueAsync(ids, ct);
        foreach (var id in ids) events.Publish(new RunEvent(id, RunEventKind.StatusChanged));
        return new Launched(experiment.Id, ids);
    }

    public async Task QueueAsync(IEnumerable<long> runIds, CancellationToken ct = default)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        foreach (var id in runIds)
        {
            var key = TrainRunJob.TriggerFor(id);
            var trigger = TriggerBuilder.Create()
                .WithIdentity(key)
                .ForJob(TrainRunJob.Key)
                .UsingJobData(TrainRunJob.RunIdKey, id)
                .StartNow()
                .Build();
            // Keep: a run already queued is not queued twice.
            await scheduler.ScheduleTrigger(trigger, TriggerConflict.Keep, ct);
        }
    }
}
