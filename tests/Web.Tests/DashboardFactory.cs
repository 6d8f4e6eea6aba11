using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Dashboard.Web.Tests;

/// <summary>The real app in the embedded mode, on its own SQLite file in a temp folder.</summary>
public sealed class DashboardFactory : WebApplicationFactory<Program>
{
    public string DataDir { get; } = Directory.CreateTempSubdirectory("dashboard-web").FullName;
    /// <summary>More configuration for a test class's own server (set before its first request).</summary>
    public Dictionary<string, string> Settings { get; } = [];

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseContentRoot(AppContext.BaseDirectory);
        builder.UseSetting("Storage:DataDir", DataDir);
        builder.UseSetting("Training:Threads", "1");
        builder.UseSetting("Worker:Slots", "2");
        foreach (var (key, value) in Settings) builder.UseSetting(key, value);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { }
    }
}
