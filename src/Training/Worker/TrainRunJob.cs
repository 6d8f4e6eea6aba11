using Quartz;

namespace Dashboard.Training.Worker;

/// <summary>Thin on purpose: one durable job, one trigger per run carrying its id; the work is in RunExecutor.</summary>
public sealed class TrainRunJob(RunExecutor executor) : IJob
{
    public const string Group = "runs";
    public static readonly JobKey Key = new("train-run", Group);
    public const string RunIdKey = "run_id";
    /// <summary>Set (1) on a takeover trigger: the run is still marked running, its hosts gone.</summary>
    public const string RecoverKey = "recover";

    public static TriggerKey TriggerFor(long runId) => new($"run-{runId}", Group);
    public static TriggerKey TakeoverFor(long runId) => new($"run-{runId}-takeover", Group);

    /// <summary>The run a trigger of <see cref="TriggerFor"/> or <see cref="TakeoverFor"/> is for.</summary>
    public static long? RunOf(TriggerKey key)
    {
        var parts = key.Name.Split('-');
        return parts.Length >= 2 && parts[0] == "run" && long.TryParse(parts[1], out var id) ? id : null;
    }

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken ct)
    {
        var data = context.MergedJobDataMap;
        var runId = data.GetLong(RunIdKey);
        // A flag travels as a number, which the store's JSON gives back as it went in (as it does the run id).
        bool recovering = context.Recovering || (data.ContainsKey(RecoverKey) && data.GetLong(RecoverKey) == 1);
        await executor.ExecuteAsync(runId, recovering, ct);
    }
}
