using Bunit;
using Bunit.TestDoubles;
using Dashboard.Data;
using Dashboard.Training.Worker;
using Dashboard.Web.Auth;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Web.Tests.Components;

/// <summary>
/// bUnit with the app's own data layer on a real SQLite file in a temp folder (migrated as at start), and the
/// launcher and cancellation the pages call; this process trains nothing (Worker:Enabled=false).
/// </summary>
public abstract class StoredDbContext : BunitContext
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dashboard-bunit").FullName;

    protected StoredDbContext()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:DataDir"] = _dir, ["Worker:Enabled"] = "false",
        }).Build();
        Services.AddSingleton<IConfiguration>(config);
        Services.AddLogging();
        Services.AddDashboardData(config);
        Services.AddDashboardWorker(config);
        Services.AddSingleton<Passwords>();
        DatabaseSetup.MigrateAsync(new StorageOptions().BindFrom(config)).GetAwaiter().GetResult();
        // The table writes its query back to the address through the browser's history.
        JSInterop.SetupVoid("dashboardAddress.replace", _ => true);
        Auth = AddAuthorization();
    }

    /// <summary>The page's signed-in user, as the circuit's authentication state gives it.</summary>
    protected BunitAuthorizationContext Auth { get; }

    protected DashboardDb Db() => Services.GetRequiredService<IDbContextFactory<DashboardDb>>().CreateDbContext();

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
