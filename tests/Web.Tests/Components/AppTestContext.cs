using Bunit;
using Bunit.TestDoubles;
using Dashboard.Data;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Web.Tests.Components;

/// <summary>
/// bUnit for a page as the circuit runs it, on the real services of a test server (its SQLite file, launcher, launch
/// checks, cancellation and run events); Blazor's own services stay bUnit's.
/// </summary>
public abstract class AppTestContext : BunitContext, IClassFixture<DashboardFactory>
{
    protected DashboardFactory Factory { get; }
    protected BunitAuthorizationContext Auth { get; }

    /// <param name="user">Who is signed in; nobody when null.</param>
    protected AppTestContext(DashboardFactory factory, string? user = null)
    {
        Factory = factory;
        // A scope of the app's services (some are scoped); the singletons among them are the server's own.
        var app = factory.Services.CreateScope().ServiceProvider;
        Services.AddSingleton(app.GetRequiredService<IDbContextFactory<DashboardDb>>());
        Services.AddSingleton(app.GetRequiredService<Dashboard.Training.Worker.RunLauncher>());
        Services.AddSingleton(app.GetRequiredService<Dashboard.Training.Worker.EnsembleLauncher>());
        Services.AddSingleton(app.GetRequiredService<Dashboard.Training.Worker.RunCancellation>());
        Services.AddSingleton(app.GetRequiredService<Dashboard.Web.Launch.LaunchChecks>());
        Services.AddSingleton(app.GetRequiredService<Dashboard.Web.Launch.DatasetDownloads>());
        Services.AddSingleton(app.GetRequiredService<StorageOptions>());
        Services.AddSingleton(app.GetRequiredService<RunEvents>());
        Auth = AddAuthorization();
        if (user is not null) Auth.SetAuthorized(user);
        // Plotly.Blazor's and InputFile's own scripts.
        JSInterop.Mode = JSRuntimeMode.Loose;
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    protected async Task<int> RunCountAsync()
    {
        await using var db = await Factory.Services.GetRequiredService<IDbContextFactory<DashboardDb>>().CreateDbContextAsync();
        return await db.Runs.CountAsync();
    }
}
