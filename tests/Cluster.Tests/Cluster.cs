using Dashboard.Data;
using Dashboard.Data.Tests;
using Dashboard.Training.Alerts;
using Dashboard.Training.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Dashboard.Cluster.Tests;

/// <summary>A cluster test's shared data folder (checkpoints), as worker hosts share one; removed afterwards.</summary>
public abstract class ClusterTest(string name) : IDisposable
{
    protected string DataDir { get; } = Directory.CreateTempSubdirectory(name).FullName;

    public void Dispose()
    {
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { }
    }
}

/// <summary>What every cluster test sets up: a database on the throwaway server, worker processes, a web node.</summary>
public static class Cluster
{
    /// <summary>A new database on the server, at the latest schema; its connection string.</summary>
    public static async Task<string> NewDatabaseAsync(PostgresServer server, string name)
    {
        await server.CreateDatabaseAsync(name);
        var cs = server.ConnectionString(name);
        await DatabaseSetup.MigrateAsync(new StorageOptions { ConnectionString = cs });
        return cs;
    }

    /// <summary>Worker processes that have joined the cluster (their hosts started) before anything is queued.</summary>
    public static async Task<WorkerProcess[]> StartWorkersAsync(string cs, string dataDir, int count,
        IReadOnlyDictionary<string, string>? settings = null)
    {
        var workers = Enumerable.Range(0, count).Select(_ => new WorkerProcess(cs, dataDir, settings)).ToArray();
        await Eventually(() => Task.FromResult(workers.All(w => w.Output.Contains("Application started")) ? "" : null),
            TimeSpan.FromSeconds(60), () => "workers did not start\n" + Logs(workers));
        return workers;
    }

    public static string Logs(IEnumerable<WorkerProcess> workers) =>
        string.Join("\n----\n", workers.Select(w => $"worker {w.Pid}:\n{w.Output[^Math.Min(w.Output.Length, 6000)..]}"));

    /// <summary>The web node's side: the launcher on the cluster's database, with no training of its own.</summary>
    public static IHost WebNode(string connectionString) =>
        Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Configuration = new ConfigurationManager(),
            DisableDefaults = true,
        }).With(b =>
        {
            b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Dashboard"] = connectionString,
                ["Worker:Enabled"] = "false",
            });
            b.Services.AddDashboardData(b.Configuration);
            b.Services.AddDashboardWorker(b.Configuration);
            b.Services.AddDashboardAlerts(b.Configuration);
        }).Build();

    public static async Task<T> Eventually<T>(Func<Task<T?>> probe, TimeSpan within, Func<string> what) where T : class
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            if (await probe() is { } found) return found;
            if (DateTime.UtcNow > deadline) throw new TimeoutException(what());
            await Task.Delay(250);
        }
    }
}

internal static class BuilderExtensions
{
    public static HostApplicationBuilder With(this HostApplicationBuilder b, Action<HostApplicationBuilder> configure)
    {
        configure(b);
        return b;
    }
}
