using Dashboard.Data;
using Dashboard.Training.Worker;
using Dashboard.Web.Components;

namespace Dashboard.Web.Queries;

/// <summary>
/// What keeps the workers page current: a run starting or ending on any host (the run events, through RunWatch), and
/// the heartbeat interval. A host that died sends nothing; it is seen lost only when its heartbeats stop, so the page
/// looks again once per heartbeat interval, on the server, for as long as the page is open.
/// </summary>
public sealed class WorkerWatch : IDisposable
{
    private readonly RunWatch _runs;
    private readonly PeriodicTimer _timer;
    private readonly Task _beats;

    public WorkerWatch(RunEvents events, Func<Task> changed, TimeSpan? every = null)
    {
        _runs = new RunWatch(events, _ => changed(), every: TimeSpan.FromMilliseconds(500));
        _timer = new PeriodicTimer(every ?? WorkerHeartbeat.Interval);
        _beats = Task.Run(async () =>
        {
            while (await _timer.WaitForNextTickAsync())
            {
                try { await changed(); }
                catch { /* a circuit that went away: the timer stops with the page */ }
            }
        });
    }

    public void Dispose()
    {
        _runs.Dispose();
        _timer.Dispose();
    }
}
