using System.Text.Json;
using Dashboard.Data;
using Dashboard.Training.Alerts;
using Dashboard.Training.Worker;
using Dashboard.Web.Api;
using Dashboard.Web.Auth;
using Dashboard.Web.Components;
using Dashboard.Web.Jobs;
using Dashboard.Web.Queries;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Web;

public static class WebSetup
{
    public static void AddDashboard(this WebApplicationBuilder builder)
    {
        // Build-time static assets (scoped CSS) outside Development too, for the plain `dotnet Dashboard.Web.dll`.
        builder.WebHost.UseStaticWebAssets();
        builder.Services.AddDashboardData(builder.Configuration);
        builder.Services.AddDashboardWorker(builder.Configuration);
        builder.Services.AddDashboardAlerts(builder.Configuration);
        builder.Services.AddSingleton<Alerts.BrowserAlerts>();
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddSingleton<Launch.LaunchChecks>();
        builder.Services.AddOptions<Training.Datasets.DatasetFetchOptions>().Bind(builder.Configuration.GetSection(Training.Datasets.DatasetFetchOptions.Section));
        builder.Services.AddSingleton<Launch.DatasetDownloads>();
        builder.Services.AddProblemDetails();
        builder.Services.AddDashboardHealth();
        builder.AddDashboardAuth();
        // Specs, tags and notes are small; nothing the dashboard takes needs more.
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = MaxRequestBytes);
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
    }

    public const long MaxRequestBytes = 1_048_576;

    public static async Task PrepareStorageAsync(this WebApplication app)
    {
        await DatabaseSetup.MigrateAsync(app.Services.GetRequiredService<StorageOptions>());
        await Training.Specs.StoredSpecs.PruneAsync(app.Services.GetRequiredService<IDbContextFactory<DashboardDb>>());
        await RunSizes.BackfillAsync(app.Services.GetRequiredService<IDbContextFactory<DashboardDb>>());
        await app.EnsureFirstAdminAsync();
    }

    public static void UseDashboard(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment()) app.UseExceptionHandler("/Error", createScopeForErrors: true);
        // Pages get a status page (not found, not allowed); the API answers with its own status (a POST re-executed as
        // a page would meet the pages' antiforgery check and turn a 404 into a 400).
        app.UseWhen(c => !c.Request.Path.StartsWithSegments("/api"),
            pages => pages.UseStatusCodePagesWithReExecute("/status/{0}", createScopeForStatusCodePages: true));
        app.UseSecurityHeaders();
        app.UseStaticFiles();
        // Routing after the status pages, so that a re-executed request (/status/404) is routed to its page.
        app.UseRouting();
        app.UseCrossSiteGuard();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseAntiforgery();
        app.MapStaticAssets().AllowAnonymous();
        app.MapAccountApi();
        app.MapExperimentsApi();
        app.MapExperimentApi();
        app.MapRunsApi();
        app.MapMetricsApi();
        app.MapRunCancelApi();
        app.MapCheckpointsApi();
        app.MapMinimaApi();
        app.MapWorkersApi();
        app.MapDashboardHealth();
        app.MapRunLiveApi();
        app.MapCompareApi();
        app.MapExportApi();
        app.MapAlertsApi();
        app.MapAnalysisApi();
        app.MapRuntimeApi();
        app.MapEnsemblesApi();
        app.MapJobsDashboard();
        // Our own Content-Security-Policy (SecurityHeaders) already says frame-ancestors 'none': no second header.
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode(o => o.ContentSecurityFrameAncestorsPolicy = null);
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            foreach (var url in app.Urls) Console.WriteLine($"Dashboard is running at {url}");
            // Webhooks link to run pages: without Alerts:DashboardUrl, at the address this process listens on.
            var alerts = app.Services.GetRequiredService<AlertsOptions>();
            alerts.DashboardUrl ??= Alerts.AlertLinks.Reachable(app.Urls);
        });
    }
}
