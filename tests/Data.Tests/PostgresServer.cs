using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Dashboard.Data.Tests;

/// <summary>A throwaway PostgreSQL cluster: initdb into a temp folder, started on a free port, removed afterwards.</summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dashboard-pg-" + Guid.NewGuid().ToString("N")[..8]);
    private string _bin = "";
    public int Port { get; private set; }
    public string ConnectionString(string database) => $"Host=127.0.0.1;Port={Port};Database={database};Username=postgres;Pooling=false";

    public async Task InitializeAsync()
    {
        _bin = Directory.GetDirectories("/usr/lib/postgresql").OrderDescending().Select(d => Path.Combine(d, "bin"))
            .FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")))
            ?? throw new InvalidOperationException("PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)");
        Port = FreePort();
        Directory.CreateDirectory(_dir);
        await Run("chown", "postgres", _dir);
        await AsPostgres($"{_bin}/initdb -D {_dir}/data -U postgres -A trust --no-sync -E UTF8");
        await StartAsync();
    }

    /// <summary>Stops the server as a crash would (immediate mode), for fault tests; StartAsync brings it back on the same port.</summary>
    public Task StopAsync() => AsPostgres($"{_bin}/pg_ctl -D {_dir}/data -m immediate -w stop");

    public Task StartAsync() =>
        AsPostgres($"{_bin}/pg_ctl -D {_dir}/data -l {_dir}/log -w -o \"-p {Port} -k {_dir} -c listen_addresses=127.0.0.1 -c fsync=off\" start");

    public async Task CreateDatabaseAsync(string name) =>
        await AsPostgres($"{_bin}/psql -h 127.0.0.1 -p {Port} -U postgres -c \"CREATE DATABASE {name}\"");

    public async Task DisposeAsync()
    {
        try { await AsPostgres($"{_bin}/pg_ctl -D {_dir}/data -m immediate -w stop"); }
        finally { Directory.Delete(_dir, recursive: true); }
    }

    // initdb refuses to run as root; the tests run as root in CI.
    private static Task AsPostgres(string command) =>
        Environment.UserName == "root" ? Run("runuser", "-u", "postgres", "--", "sh", "-c", command) : Run("sh", "-c", command);

    private static async Task Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(" ", args)} failed ({p.ExitCode}): {await error} {await output}");
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
