using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace Dashboard.Data;

public enum StorageProvider { Sqlite, Postgres }

/// <summary>Section "Storage": where the dashboard keeps its database and files.</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>Folder for the embedded SQLite file and run artefacts; relative paths are taken from the working directory.</summary>
    [Required]
    public string DataDir { get; set; } = "data";

    /// <summary>
    /// Every worker host sees the same DataDir (a shared folder, as a cluster's takeover wants). Without it a run's
    /// checkpoints are read only on the machine that wrote them: an ensemble is evaluated by a worker on that machine.
    /// </summary>
    public bool SharedDataDir { get; set; }

    /// <summary>From ConnectionStrings:Dashboard. Empty means the embedded SQLite file under DataDir.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Fills these options from the Storage section, with ConnectionStrings:Dashboard as the connection string.</summary>
    public StorageOptions BindFrom(IConfiguration config)
    {
        config.GetSection(Section).Bind(this);
        ConnectionString ??= config.GetConnectionString("Dashboard");
        return this;
    }

    /// <summary>A run's checkpoints and stored minima: DataDir/runs/{id}/checkpoints.</summary>
    public string CheckpointDir(long runId) => Path.Combine(Path.GetFullPath(DataDir), "runs", runId.ToString(), "checkpoints");

    public StorageProvider Provider => IsPostgres(ConnectionString) ? StorageProvider.Postgres : StorageProvider.Sqlite;

    public string ResolvedConnectionString => Provider == StorageProvider.Postgres
        ? Named(ConnectionString!)
        : string.IsNullOrWhiteSpace(ConnectionString)
            // A generous busy timeout: web, the worker and the metric writer share the one file.
            ? $"Data Source={Path.Combine(Path.GetFullPath(DataDir), "dashboard.db")};Default Timeout=30;Pooling=True"
            : ConnectionString;

    // PostgreSQL's application_name is this process, unless the connection string names one.
    private static string Named(string connectionString)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        if (string.IsNullOrEmpty(builder.ApplicationName)) builder.ApplicationName = ProcessIdentity.Name;
        return builder.ConnectionString;
    }

    private static bool IsPostgres(string? cs) =>
        !string.IsNullOrWhiteSpace(cs) && cs.Contains("Host=", StringComparison.OrdinalIgnoreCase);
}
