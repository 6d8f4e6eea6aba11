using Hangfire;
using Hangfire.Server;
using Hangfire.States;
using Microsoft.Extensions.Hosting;

namespace Dashboard.Training.Worker;

/// <summary>
/// Thin on purpose: a Hangfire job carries the run id and nothing else; the run's state is in our tables and the work
/// is in <see cref="RunExecutor"/>. Idempotent: a job for a run that is finished, or trained by a living host, does
/// nothing but look again later.
/// </summary>
public sealed class TrainRunJob(RunExecutor executor, TpeProposer proposer, IBackgroundJobClient jobs, IHostApplicationLifetime host)
{
    /// <summary>A run waiting for GPUs here is looked at again this much later, keeping its place in its queue.</summary>
    public static readonly TimeSpan GpuRetry = TimeSpan.FromSeconds(5);
    /// <summary>
    /// A run held by another living host is looked at again this much later, in case that host dies. Short: a job
    /// handed out again 24 to 30 s after its host's last renewal can meet that host's last heartbeat just under
    /// <see cref="WorkerHeartbeat.LostAfter"/>, and the takeover then waits for this (with 30 s, 54 s after a kill -9).
    /// </summary>
    public static readonly TimeSpan HeldRetry = TimeSpan.FromSeconds(5);

    // Hangfire's own retries are for what the claim could not do at all (the database away): a few, spaced out.
    // Hangfire fills in the context; callers pass null.
    [AutomaticRetry(Attempts = 5, DelaysInSeconds = [5, 10, 20, 40, 60])]
    public async Task RunAsync(long runId, PerformContext? context)
    {
        // Stopped by the host shutting down only. Hangfire also cancels its own job token when it finds the job handed
        // to another server (after an outage longer than the invisibility timeout), but whether that server may take
        // the run is the takeover rule's to say: a living trainer goes on, a superseded one stops by its fence.
        var stopping = host.ApplicationStopping;
        var outcome = await executor.ExecuteAsync(runId, stopping);
        // Back to the queue when this server shuts down: Hangfire re-queues a job that ends cancelled by it.
        stopping.ThrowIfCancellationRequested();
        // A tpe sweep proposes its next runs when one ends (or was found ended: cancelled while queued, or ended by a
        // host that died before its job did); proposing is idempotent, so a second look adds nothing.
        if (outcome == RunExecutor.Outcome.Done) await proposer.AfterRunAsync(runId, jobs);
        var later = outcome switch
        {
            RunExecutor.Outcome.NoGpusHere or RunExecutor.Outcome.BusyHere => GpuRetry,
            RunExecutor.Outcome.HeldElsewhere => HeldRetry,
            _ => (TimeSpan?)null,
        };
        // The same job again later: in Hangfire's queue it keeps its id, and with it its place.
        if (later is { } delay && context is not null)
            jobs.ChangeState(context.BackgroundJob.Id, new ScheduledState(delay) { Reason = outcome.ToString() }, ProcessingState.StateName);
    }
}
