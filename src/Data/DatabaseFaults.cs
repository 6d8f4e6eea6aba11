using Microsoft.Data.Sqlite;
using Npgsql;

namespace Dashboard.Data;

public static class DatabaseFaults
{
    /// <summary>
    /// Failures that go away by themselves, worth waiting out: the server restarting or unreachable, a busy SQLite
    /// file. Anything else (a constraint, a bad statement) will fail the same way again.
    /// </summary>
    public static bool IsTransient(Exception e) => e switch
    {
        // 57014 and 25P03: a statement or a transaction that ran past the server's limit (PostgresMetricStore's).
        PostgresException pg => pg.IsTransient || pg.SqlState.StartsWith("08") || pg.SqlState.StartsWith("57P")
            || pg.SqlState is PostgresErrorCodes.QueryCanceled or "25P03",
        NpgsqlException npg => npg.IsTransient || npg.InnerException is IOException or System.Net.Sockets.SocketException,
        SqliteException sq => sq.SqliteErrorCode is 5 or 6,  // SQLITE_BUSY, SQLITE_LOCKED
        IOException or System.Net.Sockets.SocketException or TimeoutException => true,
        _ => false,
    };
}
