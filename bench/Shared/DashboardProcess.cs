// The dashboard as its own process for a benchmark: embedded mode on a fresh data folder (or one the benchmark keeps), a free loopback port, and
// Debian's Chromium through Playwright. Shared by the benchmarks under bench/ (compiled into each).
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Playwright;

namespace Dashboard.Bench;

public sealed class DashboardProcess : IAsyncDisposable
{
    public string DataDir { get; }
    public string Url { get; }
    private readonly string _webDll;
    /// <summary>A folder made here is removed at the end; one given by the benchmark is its own to keep or remove.</summary>
    private readonly bool _ownsDataDir;
    private Process? _web;

    public DashboardProcess(string webDll, string? dataDir = null)
    {
        _webDll = webDll;
        _ownsDataDir = dataDir is null;
        DataDir = dataDir ?? Directory.CreateTempSubdirectory("dashboard-bench").FullName;
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        Url = $"http://127.0.0.1:{((IPEndPoint)l.LocalEndpoint).Port}";
    }

    /// <summary>Starts the dashboard and waits until it serves (it creates its database first).</summary>
    public async Task StartAsync(IDictionary<string, string>? settings = null)
    {
        var psi = new ProcessStartInfo("dotnet", [_webDll, "--urls", Url]) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["Storage__DataDir"] = DataDir;
        foreach (var (k, v) in settings ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        _web = Process.Start(psi)!;
        _web.ErrorDataReceived += (_, e) => { if (e.Data is { Length: > 0 }) Console.Error.WriteLine($"  [web] {e.Data}"); };
        _web.BeginErrorReadLine();
        var started = new TaskCompletionSource();
        _web.OutputDataReceived += (_, e) => { if (e.Data?.Contains("Dashboard is running at") == true) started.TrySetResult(); };
        _web.BeginOutputReadLine();
        await started.Task.WaitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>The dashboard process's resident memory now, in bytes.</summary>
    public long WorkingSet
    {
        get { _web!.Refresh(); return _web.WorkingSet64; }
    }

    public async Task StopAsync()
    {
        if (_web is { HasExited: false }) { _web.Kill(entireProcessTree: true); await _web.WaitForExitAsync(); }
    }

    public static async Task<IBrowser> LaunchChromiumAsync(IPlaywright playwright) =>
        await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = "/usr/bin/chromium", Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        });

    public static double Percentile(IReadOnlyList<double> sorted, double q) =>
        sorted[(int)Math.Min(sorted.Count - 1, Math.Max(0, Math.Ceiling(q * sorted.Count) - 1))];

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (_ownsDataDir) try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { }
    }
}
