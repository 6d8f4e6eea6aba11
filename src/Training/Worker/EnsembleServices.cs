using Dashboard.Data;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Dashboard.Training.Worker;

public static class EnsembleServices
{
    /// <summary>
    /// The launcher in every process; on a worker a Hangfire server of one worker for ensembles, apart from the training
    /// slots (an evaluation is short and must not wait behind a sweep), listening to its machine's queue and the shared one.
    /// </summary>
    public static IServiceCollection AddDashboardEnsembles(this IServiceCollection services, WorkerOptions worker)
    {
        services.AddSingleton<EnsembleLauncher>();
        services.AddTransient<EnsembleJob>();
        if (!worker.Enabled) return services;
        services.AddHostedService<EnsembleStartup>();
        services.AddHangfireServer(o =>
        {
            o.ServerName = ProcessIdentity.Name + ":ensembles";
            o.Queues = [EnsembleQueues.Of(ProcessIdentity.Machine), EnsembleQueues.Any];
            o.WorkerCount = 1;
            o.SchedulePollingInterval = TimeSpan.FromSeconds(1);
        });
        return services;
    }

    /// <summary>In the embedded mode Hangfire's jobs are in memory: the ensembles a stopped process left unevaluated are queued again.</summary>
    private sealed class EnsembleStartup(StorageOptions storage, IDbContextFactory<DashboardDb> dbs, EnsembleLauncher launcher) : IHostedService
    {
        public async Task StartAsync(CancellationToken ct)
        {
            if (storage.Provider != StorageProvider.Sqlite) return;
            await using var db = await dbs.CreateDbContextAsync(ct);
            var left = await db.Ensembles.Where(e => e.Status == EnsembleStatus.Queued || e.Status == EnsembleStatus.Running).ToListAsync(ct);
            foreach (var ensemble in left)
            {
                ensemble.Status = EnsembleStatus.Queued;
                ensemble.Evaluated = 0;
            }
            await db.SaveChangesAsync(ct);
            foreach (var ensemble in left) launcher.Queue(ensemble);
        }

        public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
    }
}
