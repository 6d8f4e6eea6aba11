using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using SQLitePCL;

namespace Dashboard.Data.Metrics;

/// <summary>One metric's stored points of one run, full resolution, in step order; refilled run after run.</summary>
public sealed class StoredSeries
{
    public List<(long Step, double Value)> Points { get; } = [];
    /// <summary>Filled only when asked for: parsing SQLite's time text is the dearest part of a row.</summary>
    public List<DateTime> Times { get; } = [];
}

/// <summary>
/// The statement under <see cref="MetricSeries"/>: one metric's series (or its tail after a step), run after run, for
/// charts that compare many runs: a hundred runs of 10,000 points
/// is a million rows, read while the page waits. Each run is read into the same <see cref="StoredSeries"/>, which the
/// caller reduces before the next: lists of 10,000 points live on the large object heap, and a fresh pair per run
/// cost more in garbage collections than the reading itself.
/// </summary>
public sealed class SeriesReader : IAsyncDisposable
{
    // One walk along the primary key (run_id, key, step) per run, with one prepared statement.
    private const string Sql = "SELECT step, value, time FROM metric_points WHERE run_id = @r AND key = @k AND step > @a ORDER BY step";

    private readonly bool _withTimes;
    private readonly SqliteConnection? _sqlite;
    private readonly sqlite3_stmt? _statement;
    private readonly DbCommand? _command;

    private SeriesReader(bool withTimes, SqliteConnection? sqlite, sqlite3_stmt? statement, DbCommand? command) =>
        (_withTimes, _sqlite, _statement, _command) = (withTimes, sqlite, statement, command);

    /// <summary>A reader of <paramref name="key"/> on the context's connection, which it opens.</summary>
    public static async Task<SeriesReader> OpenAsync(DashboardDb db, string key, bool withTimes, CancellationToken ct)
    {
        await db.Database.OpenConnectionAsync(ct);
        var conn = db.Database.GetDbConnection();
        if (conn is SqliteConnection sqlite)
        {
            Check(raw.sqlite3_prepare_v2(sqlite.Handle, Sql.Replace("@r", "?1").Replace("@k", "?2").Replace("@a", "?3"), out sqlite3_stmt statement), sqlite);
            Check(raw.sqlite3_bind_text(statement, 2, key), sqlite);
            return new SeriesReader(withTimes, sqlite, statement, null);
        }
        var command = conn.CreateCommand();
        command.CommandText = Sql;
        command.AddParameter("@r", 0L);
        command.AddParameter("@k", key);
        command.AddParameter("@a", long.MinValue);
        return new SeriesReader(withTimes, null, null, command);
    }

    /// <summary>Replaces what <paramref name="into"/> holds with the run's points after step <paramref name="after"/>.</summary>
    public async Task ReadAsync(long runId, StoredSeries into, CancellationToken ct, long after = long.MinValue)
    {
        into.Points.Clear();
        into.Times.Clear();
        if (_statement is not null) ReadSqlite(runId, after, into, ct);
        else await ReadAdoAsync(runId, after, into, ct);
    }

    /// <summary>
    /// Straight off the statement: Microsoft.Data.Sqlite's data reader costs about half a microsecond a row on top of
    /// SQLite's own work (a million rows: 550 ms through it, 300 ms stepped here, on the 2-CPU machine of bench/RESULTS.md).
    /// </summary>
    private void ReadSqlite(long runId, long after, StoredSeries into, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        Check(raw.sqlite3_reset(_statement), _sqlite!);
        Check(raw.sqlite3_bind_int64(_statement, 1, runId), _sqlite!);
        Check(raw.sqlite3_bind_int64(_statement, 3, after), _sqlite!);
        int rc;
        while ((rc = raw.sqlite3_step(_statement)) == raw.SQLITE_ROW)
        {
            into.Points.Add((raw.sqlite3_column_int64(_statement, 0), raw.sqlite3_column_double(_statement, 1)));
            // The text EF and the metric store write ("yyyy-MM-dd HH:mm:ss.FFFFFFF"), always UTC.
            if (_withTimes)
                into.Times.Add(DateTime.Parse(raw.sqlite3_column_text(_statement, 2).utf8_to_string(), CultureInfo.InvariantCulture,
                    DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal));
        }
        if (rc != raw.SQLITE_DONE) Check(rc, _sqlite!);
    }

    private async Task ReadAdoAsync(long runId, long after, StoredSeries into, CancellationToken ct)
    {
        _command!.Parameters[0].Value = runId;
        _command.Parameters[2].Value = after;
        await using var reader = await _command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            into.Points.Add((reader.GetInt64(0), reader.GetDouble(1)));
            if (_withTimes) into.Times.Add(DateTime.SpecifyKind(reader.GetDateTime(2), DateTimeKind.Utc));
        }
    }

    private static void Check(int rc, SqliteConnection conn)
    {
        if (rc != raw.SQLITE_OK) throw new SqliteException(raw.sqlite3_errmsg(conn.Handle).utf8_to_string(), rc);
    }

    public async ValueTask DisposeAsync()
    {
        _statement?.Dispose();
        if (_command is not null) await _command.DisposeAsync();
    }
}
