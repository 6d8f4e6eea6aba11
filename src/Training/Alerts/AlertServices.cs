using Dashboard.Data;
using Hangfire;
using Hangfire.Common;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dashboard.Training.Alerts;

public static class AlertServices
{
    /// <summary>
    /// Alerts in this process: the watch that fires them from this process's own run events, and a Hangfire server of
    /// its own for the "alerts" queue, apart from the training server, so that a post never waits for a training slot
    /// and a slow receiver never holds one. Needs the job storage of <c>AddDashboardWorker</c>.
    /// </summary>
    public static IServiceCollection AddDashboardAlerts(this IServiceCollection services, IConfiguration config)
    {
        services.AddOptions<AlertsOptions>().Bind(config.GetSection(AlertsOptions.Section)).PostConfigure(AlertsOptions.Complete)
            .ValidateDataAnnotations()
            .Validate(o => o.RetryDelaysSeconds.All(d => d is >= 1 and <= 86_400), "Alerts:RetryDelaysSeconds: each from 1 to 86400")
            .Validate(o => o.DashboardUrl is null || Uri.TryCreate(o.DashboardUrl, UriKind.Absolute, out var u) && u.Scheme is "http" or "https",
                "Alerts:DashboardUrl: an http or https address")
            .ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<AlertsOptions>>().Value);
        services.AddSingleton<AlertSender>();
        services.AddTransient<AlertDeliveryJob>();
        services.AddHostedService<AlertWatch>();

        var alerts = config.GetSection(AlertsOptions.Section).Get<AlertsOptions>() ?? new AlertsOptions();
        AlertsOptions.Complete(alerts);
        services.AddHangfireServer(o =>
        {
            o.ServerName = ProcessIdentity.Name + ":alerts";
            o.Queues = [AlertWatch.Queue];
            o.WorkerCount = alerts.Senders;
            o.SchedulePollingInterval = TimeSpan.FromSeconds(1);
            o.FilterProvider = Filters(alerts);
        });
        return services;
    }

    /// <summary>Hangfire's usual filters, with its AutomaticRetry set to the configured retries and delays.</summary>
    private static IJobFilterProvider Filters(AlertsOptions alerts)
    {
        var global = new JobFilterCollection();
        foreach (var filter in GlobalJobFilters.Filters)
            if (filter.Instance is not AutomaticRetryAttribute) global.Add(filter.Instance, filter.Order);
        var retry = new AutomaticRetryAttribute { Attempts = alerts.Retries, OnAttemptsExceeded = AttemptsExceededAction.Fail };
        if (alerts.Retries > 0) retry.DelaysInSeconds = alerts.Delays();
        global.Add(retry);
        return new JobFilterProviderCollection(global, new JobFilterAttributeFilterProvider());
    }
}
