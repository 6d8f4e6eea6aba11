using Dashboard.Data;
using Dashboard.Training.Native;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Quartz;

namespace Dashboard.Training.Worker;

public static class WorkerServices
{
    /// <summary>
    /// Quartz on the dashboard's own database (SQLite store embedded, clustered PostgreSQL store otherwise) and the
    /// launcher. With Worker:Enabled this process also trains: the scheduler starts and takes runs.
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
        services.AddSingleton<RunQueueKeeper>();

        var worker = config.GetSection(WorkerOptions.Section).Get<WorkerOptions>() ?? new WorkerOptions();
        WorkerOptions.Complete(worker);
        var storage = new StorageOptions().BindFrom(config);

        services.AddQuartz(q =>
        {
            q.ConfigureScheduler(s =>
            {
                s.InstanceName = "dashboard";
                s.GenerateInstanceId = true;
                // Runs queued by another process (a web node) are picked up within a second or two.
                s.IdleWaitTime = TimeSpan.FromSeconds(1);
            });
            q.UseDefaultThreadPool(worker.Slots);
            q.AddJob<TrainRunJob>(j => j.WithIdentity(TrainRunJob.Key).StoreDurably().RequestRecovery());
            q.UsePersistentStore(s =>
            {
                s.UseSystemTextJsonSerializer();
                if (storage.Provider == StorageProvider.Postgres)
                {
                    s.UsePostgres(storage.ResolvedConnectionString);
                    s.UseClustering(c => c.CheckinInterval = TimeSpan.FromSeconds(10));
                }
                else
                {
                    s.UseSqlite(storage.ResolvedConnectionString);
                }
                s.ConfigureStore(o => o.RecoverFiringsCancelledByShutdown = true);
                s.ProvisionSchema();
            });
        });

        if (worker.Enabled)
        {
            services.AddHostedService<WorkerStartup>();
            services.AddHostedService(sp => sp.GetRequiredService<RunCancellation>());
            services.AddHostedService(sp => sp.GetRequiredService<WorkerHeartbeat>());
            services.AddHostedService(sp => sp.GetRequiredService<RunQueueKeeper>());
            services.AddQuartzHostedService(o => o.WaitForJobsToComplete = false);
        }
        return services;
    }

    /// <summary>Applies the thread setting and, in the embedded mode, queues again what a previous process left behind.</summary>
    private sealed class WorkerStartup(IOptions<TrainingOptions> training, StorageOptions storage,
        IDbContextFactory<DashboardDb> dbs, RunLauncher launcher) : IHostedService
    {
        public async Task StartAsync(CancellationToken ct)
        {
            Torch.Threads = training.Value.EffectiveThreads;
            if (storage.Provider != StorageProvider.Sqlite) return;
            // Only this process trains on an embedded database, so any run still marked running was cut off.
            await using var db = await dbs.CreateDbContextAsync(ct);
            var left = await db.Runs.Where(r => r.Status == RunStatus.Running || r.Status == RunStatus.Queued)
                .Select(r => new { r.Id, r.CreatedAt, r.Spec }).ToListAsync(ct);
            await db.Runs.Where(r => r.Status == RunStatus.Running)
                .ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, RunStatus.Queued), ct);
            await launcher.QueueAsync(left.Select(r => new RunLauncher.Queued(r.Id, r.CreatedAt, RunLauncher.PriorityOf(r.Spec))), ct);
        }

        public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
    }
}
