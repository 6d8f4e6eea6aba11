using Dashboard.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Hangfire;
using Hangfire.InMemory;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;

namespace Dashboard.Training.Worker;

public static class WorkerServices
{
    /// <summary>Hangfire's invisibility timeout: a job whose host stopped renewing it (killed, frozen) is handed out again after this.</summary>
    public static readonly TimeSpan InvisibilityTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Hangfire on the cluster's PostgreSQL (Hangfire.PostgreSql), or in memory in the embedded mode, where the runs
    /// table queues again at start what a previous process left; and the launcher. With Worker:Enabled this process
    /// is a Hangfire server and trains: one Hangfire worker per slot, listening to every run queue.
    /// </summary>
    public static IServiceCollection AddDashboardWorker(this IServiceCollection services, IConfiguration config)
    {
        services.AddOptions<WorkerOptions>().Bind(config.GetSection(WorkerOptions.Section)).PostConfigure(WorkerOptions.Complete).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<TrainingOptions>().Bind(config.GetSection(TrainingOptions.Section));
        services.AddSingleton<RunExecutor>();
        services.AddSingleton<RunLauncher>();
        services.AddSingleton<RunCancellation>();
        services.AddSingleton<DeviceAllocator>();
        services.AddSingleton<WorkerHeartbeat>();
        services.AddSingleton<SystemSampler>();
        services.AddTransient<TrainRunJob>();
        services.AddSingleton<TpeProposer>();
        services.AddSingleton<DeviceMemory>();
        services.AddTransient<ProposeNextJob>();

        var worker = config.GetSection(WorkerOptions.Section).Get<WorkerOptions>() ?? new WorkerOptions();
        WorkerOptions.Complete(worker);
        services.AddDashboardEnsembles(worker);
        // This process's own store, not Hangfire's global one: a test process holds several clusters at once.
        services.AddSingleton<JobStorage>(sp => CreateStorage(sp.GetRequiredService<StorageOptions>()));
        // Likewise the activator: AddHangfire's default is the process-wide current one, which the last app to configure
        // Hangfire sets, so a job server built after another app started would build its jobs from that app's services.
        services.AddSingleton<JobActivator>(sp => new Hangfire.AspNetCore.AspNetCoreJobActivator(sp.GetRequiredService<IServiceScopeFactory>()));
        services.AddHangfire((sp, c) => c
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseLogProvider(new SurvivingLogProvider(sp.GetRequiredService<ILoggerFactory>())));

        if (worker.Enabled)
        {
            services.AddHostedService<WorkerStartup>();
            services.AddHostedService(sp => sp.GetRequiredService<RunCancellation>());
            services.AddHostedService(sp => sp.GetRequiredService<WorkerHeartbeat>());
            services.AddHostedService(sp => sp.GetRequiredService<SystemSampler>());
            services.AddHangfireServer(o =>
            {
                o.ServerName = ProcessIdentity.Name;
                o.WorkerCount = worker.Slots;
                o.Queues = RunLauncher.Queues;
                // Runs waiting for GPUs or watched on another host come back within a second or two of their time.
                o.SchedulePollingInterval = TimeSpan.FromSeconds(1);
                // Hangfire's own server list: a dead server leaves the dashboard within two and a half minutes. Not
                // sooner: a server whose heartbeats fail for this long (a database outage) is started anew by Hangfire,
                // with new workers while its old ones still train, and an outage of a minute must pass without that.
                // Runs are handed out again by the invisibility timeout and taken over by our heartbeats, not by this.
                o.HeartbeatInterval = TimeSpan.FromSeconds(5);
                o.ServerTimeout = TimeSpan.FromMinutes(2);
                o.ServerCheckInterval = TimeSpan.FromSeconds(10);
                // A run being trained records how it stopped (queued again) before its job gives up.
                o.ShutdownTimeout = TimeSpan.FromSeconds(30);
            });
        }
        return services;
    }

    /// <summary>
    /// Hangfire's log provider is process-wide too, set by the last app to configure Hangfire. A test process holds
    /// several apps; once that one is disposed, another's Hangfire asking for a logger (it does so lazily, e.g. when it
    /// first reads a job's AutomaticRetry) met a disposed logger factory and failed the enqueue. Such a logger is silent.
    /// </summary>
    private sealed class SurvivingLogProvider(ILoggerFactory factory) : Hangfire.Logging.ILogProvider
    {
        private readonly Hangfire.AspNetCore.AspNetCoreLogProvider _inner = new(factory);

        public Hangfire.Logging.ILog GetLogger(string name)
        {
            try { return _inner.GetLogger(name); }
            catch (ObjectDisposedException) { return Silent.Instance; }
        }

        private sealed class Silent : Hangfire.Logging.ILog
        {
            public static readonly Silent Instance = new();
            public bool Log(Hangfire.Logging.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null) => false;
        }
    }

    private static JobStorage CreateStorage(StorageOptions storage)
    {
        if (storage.Provider != StorageProvider.Postgres)
            return new InMemoryStorage(new InMemoryStorageOptions { IdType = InMemoryStorageIdType.Long });
        var options = new PostgreSqlStorageOptions
            {
                // Hangfire.PostgreSql's default is 30 minutes: a killed host's run would wait that long. Short, and renewed
                // while the run trains (every fifth of it), so that only a host that stopped answering loses its job.
                InvisibilityTimeout = InvisibilityTimeout,
                UseSlidingInvisibilityTimeout = true,
                // An idle worker asks for the next job four times a second (one indexed query).
                QueuePollInterval = TimeSpan.FromMilliseconds(250),
                PrepareSchemaIfNecessary = true,
            };
        return new PostgreSqlStorage(new NpgsqlConnectionFactory(storage.ResolvedConnectionString, options), options);
    }

    /// <summary>
    /// Queues again what has no job: in the embedded mode every queued or running run
    /// (the jobs were in memory); in a cluster the queued and running runs without a pending job in Hangfire's tables,
    /// which after the upgrade from the old job engine is all of them, and otherwise none (a launch cut off between
    /// storing its runs and queueing them at most).
    /// </summary>
    private sealed class WorkerStartup(StorageOptions storage, JobStorage jobs,
        IDbContextFactory<DashboardDb> dbs, RunLauncher launcher, TpeProposer proposer, ILogger<WorkerStartup> log) : IHostedService
    {
        public async Task StartAsync(CancellationToken ct)
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            List<long> left;
            if (storage.Provider == StorageProvider.Sqlite)
            {
                // Only this process trains on an embedded database, so any run still marked running was cut off.
                left = await db.Runs.Where(r => r.Status == RunStatus.Running || r.Status == RunStatus.Queued).Select(r => r.Id).ToListAsync(ct);
                await db.Runs.Where(r => r.Status == RunStatus.Running)
                    .ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, RunStatus.Queued), ct);
            }
            else
            {
                _ = jobs.GetMonitoringApi();   // Hangfire's schema exists once its storage is built
                // A run job's first argument is its run id (TrainRunJob.RunAsync); an alert's job carries a delivery id.
                left = await db.Database.SqlQuery<long>($"""
                    SELECT r.id AS "Value" FROM runs r WHERE r.status IN ('queued', 'running') AND NOT EXISTS (
                      SELECT 1 FROM hangfire.job j WHERE j.statename IN ('Enqueued', 'Scheduled', 'Processing')
                        AND j.invocationdata::text LIKE '%TrainRunJob%' AND (j.arguments::jsonb ->> 0)::bigint = r.id)
                    """).ToListAsync(ct);
            }
            var specs = await db.Runs.Where(r => left.Contains(r.Id)).OrderBy(r => r.Id).Select(r => new { r.Id, r.Spec }).ToListAsync(ct);
            await launcher.QueueAsync(specs.Select(r => new RunLauncher.Queued(r.Id, RunLauncher.PriorityOf(r.Spec))), ct);
            if (specs.Count > 0) log.LogInformation("Queued {Count} runs that had no job", specs.Count);
            // A proposal that a process stopping between a run's end and its proposal job left unmade is made now.
            foreach (var sweep in await proposer.OpenSweepsAsync(ct))
            {
                try { await proposer.ProposeAsync(sweep, ct); }
                // One sweep's trouble (a proposal its spec refuses) must not keep this host from starting.
                catch (Exception e) when (e is not OperationCanceledException) { log.LogError(e, "Sweep {Experiment}: could not propose its next runs", sweep); }
            }
        }

        public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
    }
}
