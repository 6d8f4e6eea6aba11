using Quartz;

namespace Dashboard.Training.Worker;

/// <summary>Thin on purpose: one durable job, one trigger per run carrying its id; the work is in RunExecutor.</summary>
public sealed class TrainRunJob(RunExecutor executor) : IJob
{
    public static readonly JobKey Key = new("train-run", "runs");
    public const string RunIdKey = "run_id";

    public static TriggerKey TriggerFor(long runId) => new($"run-{runId}", "runs");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken ct)
    {
        var runId = context.MergedJobDataMap.GetLong(RunIdKey);
        await executor.ExecuteAsync(runId, context.Recovering, ct);
    }
}
