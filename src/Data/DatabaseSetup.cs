using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data;

public static class DatabaseSetup
{
    /// <summary>Creates the database or brings it to the latest migration; safe to call on every start.</summary>
    public static async Task MigrateAsync(StorageOptions storage, CancellationToken ct = default)
    {
        if (storage.Provider == StorageProvider.Sqlite)
        {
            var file = new SqliteConnectionStringBuilder(storage.ResolvedConnectionString).DataSource;
            var dir = Path.GetDirectoryName(Path.GetFullPath(file));
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            await using var conn = new SqliteConnection(storage.ResolvedConnectionString);
            await conn.OpenAsync(ct);
            await using var cmd = conn.CreateCommand();
            // WAL lets pages read while the worker writes; it is a property of the file, so set it once here.
            cmd.CommandText = "PRAGMA journal_mode=WAL;";
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await using var db = DataServices.Open(storage);
        await db.Database.MigrateAsync(ct);
    }
}
