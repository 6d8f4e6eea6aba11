using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Dashboard.Browser.Tests;

/// <summary>The real app on Kestrel at a loopback port, for Chromium to reach.</summary>
public sealed class BrowserFactory : WebApplicationFactory<Program>
{
    public string DataDir { get; } = Directory.CreateTempSubdirectory("dashboard-browser").FullName;
    public string BaseUrl { get; }
    private readonly int _port;

    private readonly IReadOnlyDictionary<string, string> _settings;

    /// <param name="settings">Configuration beyond the defaults below, e.g. Worker:SystemMetricsSeconds.</param>
    public BrowserFactory(IReadOnlyDictionary<string, string>? settings = null)
    {
        _settings = settings ?? new Dictionary<string, string>();
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        _port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        BaseUrl = $"http://127.0.0.1:{_port}";
        UseKestrel(o => o.Listen(IPAddress.Loopback, _port));
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseContentRoot(AppContext.BaseDirectory);
        builder.UseSetting("Storage:DataDir", DataDir);
        builder.UseSetting("Training:Threads", "1");
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { }
    }
}
