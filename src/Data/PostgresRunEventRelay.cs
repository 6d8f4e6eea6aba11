using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Dashboard.Data;

/// <summary>
/// Carries run events between the processes of a cluster over PostgreSQL LISTEN/NOTIFY: events published here go
/// out as notifications, notifications from other processes are published here, so a dashboard node draws live a
/// run that a worker host trains. Both directions reconnect after the server comes back.
/// </summary>
public sealed class PostgresRunEventRelay(StorageOptions storage, RunEvents events, ILogger<PostgresRunEventRelay> log) : BackgroundService
{
    public const string Channel = "dashboard_runs";
    private static readonly TimeSpan Reconnect = TimeSpan.FromSeconds(2);

    /// <summary>Tells this process's notifications from the others'.</summary>
    private readonly string _instance = Guid.NewGuid().ToString("N")[..12];
    private readonly Channel<RunEvent> _outbox = System.Threading.Channels.Channel.CreateBounded<RunEvent>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var subscription = events.Subscribe(e => { if (!e.Remote) _outbox.Writer.TryWrite(e); });
        await using var source = NpgsqlDataSource.Create(storage.ResolvedConnectionString);
        await Task.WhenAll(KeepGoing(ListenAsync, stoppingToken), KeepGoing(ct => SendAsync(source, ct), stoppingToken));
    }

    // Both loops outlive a lost connection: they wait a moment and open a new one.
    private async Task KeepGoing(Func<CancellationToken, Task> loop, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try { await loop(ct); }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
            catch (Exception e)
            {
                log.LogWarning("Run events between processes paused ({Message}); reconnecting", e.Message);
                try { await Task.Delay(Reconnect, ct); } catch (OperationCanceledException) { }
            }
        }
    }

    private async Task ListenAsync(CancellationToken ct)
    {
        var csb = new NpgsqlConnectionStringBuilder(storage.ResolvedConnectionString) { KeepAlive = 10, Pooling = false };
        await using var conn = new NpgsqlConnection(csb.ConnectionString);
        await conn.OpenAsync(ct);
        conn.Notification += (_, n) =>
        {
            if (Parse(n.Payload) is { } e) events.Publish(e);
        };
        await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", conn)) await listen.ExecuteNonQueryAsync(ct);
        while (true) await conn.WaitAsync(ct);
    }

    private RunEvent? _unsent;

    private async Task SendAsync(NpgsqlDataSource source, CancellationToken ct)
    {
        while (_unsent is not null || await _outbox.Reader.WaitToReadAsync(ct))
        {
            await using var conn = await source.OpenConnectionAsync(ct);
            // An event taken out but not sent (the connection broke) goes first on the next connection.
            while (_unsent is { } e || _outbox.Reader.TryRead(out e))
            {
                _unsent = e;
                await using var notify = new NpgsqlCommand("SELECT pg_notify(@channel, @payload)", conn);
                notify.Parameters.AddWithValue("channel", Channel);
                notify.Parameters.AddWithValue("payload", $"{_instance} {e.RunId} {(int)e.Kind}");
                await notify.ExecuteNonQueryAsync(ct);
                _unsent = null;
            }
        }
    }

    private RunEvent? Parse(string payload)
    {
        var parts = payload.Split(' ');
        if (parts.Length != 3 || parts[0] == _instance) return null;
        if (!long.TryParse(parts[1], CultureInfo.InvariantCulture, out var runId) || !int.TryParse(parts[2], out var kind)) return null;
        return new RunEvent(runId, (RunEventKind)kind, Remote: true);
    }
}
