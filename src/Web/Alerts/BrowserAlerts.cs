using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Web.Alerts;

/// <summary>
/// Hands the alerts meant for the browser to their owners' open pages in this process. An alert fired here or on
/// another host of the cluster (heard through the relay) is announced as a run event; the alerts stored since the last
/// look are then read once for every page open here, and each page is given its user's. Subscriptions are the
/// layout's notification component's, one per open page.
/// </summary>
public sealed class BrowserAlerts : IDisposable
{
    public sealed record Note(long DeliveryId, long RunId, string Event, string Summary);

    private readonly IDbContextFactory<DashboardDb> _dbs;
    private readonly ILogger<BrowserAlerts> _log;
    private readonly IDisposable _subscription;
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _reading = new(1, 1);
    private readonly List<(string Owner, Func<Note, Task> Show)> _pages = [];
    /// <summary>The last alert handed out; null until the first page opens (alerts before it were for no open page).</summary>
    private long? _seen;

    public BrowserAlerts(IDbContextFactory<DashboardDb> dbs, RunEvents events, ILogger<BrowserAlerts> log)
    {
        (_dbs, _log) = (dbs, log);
        _subscription = events.Subscribe(e =>
        {
            if (e.Kind == RunEventKind.AlertFired) _ = Task.Run(ReadAsync);
        });
    }

    public async Task<IDisposable> SubscribeAsync(string owner, Func<Note, Task> show)
    {
        if (_seen is null)
        {
            await using var db = await _dbs.CreateDbContextAsync();
            var last = await db.AlertDeliveries.MaxAsync(d => (long?)d.Id) ?? 0;
            lock (_gate) _seen ??= last;
        }
        lock (_gate) _pages.Add((owner, show));
        return new Subscription(this, (owner, show));
    }

    private async Task ReadAsync()
    {
        if (_seen is null) return;
        await _reading.WaitAsync();
        try
        {
            await using var db = await _dbs.CreateDbContextAsync();
            var after = _seen.Value;
            var notes = await db.AlertDeliveries.AsNoTracking().Where(d => d.Id > after && d.Browser).OrderBy(d => d.Id)
                .Select(d => new { d.Id, d.Owner, RunId = d.RunId ?? 0, d.Event, d.Summary }).ToListAsync();
            if (notes.Count > 0) _seen = notes[^1].Id;
            (string Owner, Func<Note, Task> Show)[] pages;
            lock (_gate) pages = [.. _pages];
            foreach (var n in notes)
                foreach (var page in pages.Where(p => p.Owner == n.Owner))
                {
                    try { await page.Show(new Note(n.Id, n.RunId, n.Event, n.Summary)); }
                    catch (Exception e) { _log.LogDebug("A page missed alert {Id} ({Message})", n.Id, e.Message); }
                }
        }
        catch (Exception e)
        {
            _log.LogWarning("Browser alerts not read ({Message})", e.Message);
        }
        finally { _reading.Release(); }
    }

    private void Unsubscribe((string, Func<Note, Task>) page)
    {
        lock (_gate) _pages.Remove(page);
    }

    public void Dispose() => _subscription.Dispose();

    private sealed class Subscription(BrowserAlerts owner, (string, Func<Note, Task>) page) : IDisposable
    {
        public void Dispose() => owner.Unsubscribe(page);
    }
}
