using Bunit;
using Dashboard.Data;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Web.Tests.Components;

/// <summary>
/// bUnit for the new-experiment form as the circuit runs it, on the real services of a test server (its SQLite file,
/// launcher and launch checks); scoped services stay bUnit's.
/// </summary>
public abstract class FormTestContext : BunitContext, IClassFixture<DashboardFactory>
{
    protected DashboardFactory Factory { get; }

    protected FormTestContext(DashboardFactory factory)
    {
        Factory = factory;
        var server = factory.Services;
        Services.AddSingleton(server.GetRequiredService<IDbContextFactory<DashboardDb>>());
        Services.AddSingleton(server.GetRequiredService<Dashboard.Training.Worker.RunLauncher>());
        Services.AddSingleton(server.GetRequiredService<Dashboard.Web.Launch.LaunchChecks>());
        Services.AddSingleton(server.GetRequiredService<RunEvents>());
        AddAuthorization().SetAuthorized("tester");
        JSInterop.Mode = JSRuntimeMode.Loose;  // InputFile's own script
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    protected async Task<int> RunCountAsync()
    {
        await using var db = await Factory.Services.GetRequiredService<IDbContextFactory<DashboardDb>>().CreateDbContextAsync();
        return await db.Runs.CountAsync();
    }
}
