using Quartz;

namespace Dashboard.Training.Worker;

/// <summary>Thin on purpose: one durable job, one trigger per run carrying its id; the work is in RunExecutor.</summary>
public sealed class TrainRunJob(RunExecutor executor, RunLauncher launcher) : IJob
{
    public static readonly JobKey Key = new("train-run", "runs");
    public const string RunIdKey = "run_id";
    /// <summary>Set on a trigger that goes on with a takeover (a run still marked running) that had to wait.</summary>
    public const string RecoverKey = "recover";
    /// <summary>Set on a trigger that only puts the run back in its place in the queue once a wait is over.</summary>
    public const string RequeueKey = "requeue";

    public static TriggerKey TriggerFor(long runId) => new($"run-{runId}", "runs");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken ct)
    {
        var data = context.MergedJobDataMap;
        var runId = data.GetLong(RunIdKey);
        bool recovering = context.Recovering || Flag(data, RecoverKey);
        if (Flag(data, RequeueKey)) await launcher.RequeueAsync(runId, recovering, ct);
        else await executor.ExecuteAsync(runId, recovering, ct);
    }

    // Flags travel as numbers, which the store's JSON gives back as they went in (as it does the run id).
    private static bool Flag(JobDataMap data, string key) => data.ContainsKey(key) && data.GetLong(key) == 1;
}
