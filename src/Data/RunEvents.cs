namespace Dashboard.Data;

/// <summary>AlertFired: an alert about the run was stored (its browser notifications go to their owners' open pages).</summary>
public enum RunEventKind { MetricsWritten, StatusChanged, AlertFired }

/// <param name="Remote">Heard from another process (PostgreSQL NOTIFY), so not to be passed on again.</param>
public readonly record struct RunEvent(long RunId, RunEventKind Kind, bool Remote = false);

/// <summary>
/// In-process notifications of new metric points and status changes, for live pages. Handlers run on the
/// publisher's thread, so they must only hand work off (Blazor components call InvokeAsync).
/// </summary>
public sealed class RunEvents
{
    private readonly Lock _gate = new();
    private Action<RunEvent>[] _handlers = [];

    public IDisposable Subscribe(Action<RunEvent> handler)
    {
        lock (_gate) _handlers = [.. _handlers, handler];
        return new Subscription(this, handler);
    }

    public void Publish(RunEvent e)
    {
        foreach (var h in Volatile.Read(ref _handlers))
        {
            try { h(e); }
            catch { /* a broken subscriber must not stop training or the writer */ }
        }
    }

    private void Unsubscribe(Action<RunEvent> handler)
    {
        lock (_gate) _handlers = _handlers.Where(h => h != handler).ToArray();
    }

    private sealed class Subscription(RunEvents owner, Action<RunEvent> handler) : IDisposable
    {
        public void Dispose() => owner.Unsubscribe(handler);
    }
}
