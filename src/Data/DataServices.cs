using Dashboard.Data.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dashboard.Data;

public static class DataServices
{
    /// <summary>EF context factory, the metric write path and live events, on SQLite or PostgreSQL per configuration.</summary>
    public static IServiceCollection AddDashboardData(this IServiceCollection services, IConfiguration config)
    {
        services.AddOptions<StorageOptions>()
            .Configure(o => o.BindFrom(config))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<StorageOptions>>().Value);
        services.AddOptions<MetricsOptions>().Bind(config.GetSection(MetricsOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<MetricsOptions>>().Value);

        services.AddDbContextFactory<DashboardDb>((sp, o) => Configure(o, sp.GetRequiredService<StorageOptions>()));
        services.AddSingleton<IMetricStore>(sp =>
        {
            var storage = sp.GetRequiredService<StorageOptions>();
            return storage.Provider == StorageProvider.Postgres ? new PostgresMetricStore(storage) : new SqliteMetricStore(storage);
        });
        services.AddSingleton<RunEvents>();
        services.AddSingleton<MetricWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<MetricWriter>());
        // Several processes on one PostgreSQL: what one of them publishes, the others' live pages hear too.
        if (new StorageOptions().BindFrom(config).Provider == StorageProvider.Postgres)
            services.AddHostedService<PostgresRunEventRelay>();
        return services;
    }

    /// <summary>A context outside dependency injection: start-up, command-line tools, tests, benchmarks.</summary>
    public static DashboardDb Open(StorageOptions storage)
    {
        var options = new DbContextOptionsBuilder<DashboardDb>();
        Configure(options, storage);
        return new DashboardDb(options.Options);
    }

    public static void Configure(DbContextOptionsBuilder o, StorageOptions storage)
    {
        if (storage.Provider == StorageProvider.Postgres) o.UseNpgsql(storage.ResolvedConnectionString);
        else o.UseSqlite(storage.ResolvedConnectionString);
        // The migrations are written by hand, without a model snapshot to compare against.
        o.ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning));
    }
}
