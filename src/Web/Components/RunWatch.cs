using Dashboard.Data;

namespace Dashboard.Web.Components;

/// <summary>
/// A page's subscription to run events (this process's, and on PostgreSQL the other hosts' through the relay),
/// gathered: the handler gets the runs that changed at most once per <c>every</c>, never two calls at once, so a run
/// that stores points many times a second costs the page a few renders a second. Disposed with the component.
/// </summary>
public sealed class RunWatch : IDisposable
{
    private readonly IDisposable _subscription;
    private readonly Func<IReadOnlySet<long>, Task> _changed;
    private readonly TimeSpan _every;
    private readonly Lock _gate = new();
    private HashSet<long> _pending = [];
    private bool _scheduled, _disposed;

    /// <param name="events">The process's run events.</param>
    /// <param name="changed">Called with the ids of the runs that changed; a component passes its <c>InvokeAsync</c>'d reload.</param>
    /// <param name="wanted">Which runs this page shows; null for all of them.</param>
    /// <param name="every">At most one call per this interval (200 ms when not given).</param>
    public RunWatch(RunEvents events, Func<IReadOnlySet<long>, Task> changed, Func<long, bool>? wanted = null, TimeSpan? every = null)
    {
        _changed = changed;
        _every = every ?? TimeSpan.FromMilliseconds(200);
        _subscription = events.Subscribe(e =>
        {
            if (wanted is not null && !wanted(e.RunId)) return;
            lock (_gate)
            {
                if (_disposed) return;
                _pending.Add(e.RunId);
                if (_scheduled) return;
                _scheduled = true;
            }
            // Off the publisher's thread: the writer and the trainer publish, and must not wait for a page.
            _ = Task.Run(FlushAsync);
        });
    }

    private async Task FlushAsync()
    {
        await Task.Delay(_every);
        HashSet<long> runs;
        lock (_gate)
        {
            if (_disposed) return;
            (runs, _pending) = (_pending, []);
        }
        try { await _changed(runs); }
        catch { /* a circuit that went away, or a failed reload: the next event tries again */ }
        lock (_gate)
        {
            // Events that came while the handler ran are sent in one more round.
            _scheduled = _pending.Count > 0 && !_disposed;
            if (!_scheduled) return;
        }
        _ = Task.Run(FlushAsync);
    }

    public void Dispose()
    {
        lock (_gate) _disposed = true;
        _subscription.Dispose();
    }
}
