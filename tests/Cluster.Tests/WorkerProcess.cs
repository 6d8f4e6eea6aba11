using System.Diagnostics;

namespace Dashboard.Cluster.Tests;

/// <summary>A worker host as a lab runs it: `dotnet Dashboard.Training.dll` on the cluster's PostgreSQL, in its own process.</summary>
public sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];

    public WorkerProcess(string connectionString, string dataDir, IReadOnlyDictionary<string, string>? settings = null)
    {
        var psi = new ProcessStartInfo("dotnet", [TrainingDll()])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.Environment["ConnectionStrings__Dashboard"] = connectionString;
        psi.Environment["Storage__DataDir"] = dataDir;
        psi.Environment["Worker__Slots"] = "1";
        psi.Environment["Training__Threads"] = "1";
        psi.Environment["Logging__Console__FormatterName"] = "simple";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) psi.Environment[key] = value;
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.Add(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.Add(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Pid => _process.Id;

    /// <summary>Whether an attempt's or the Workers page's host name (machine:pid:tag) is this process.</summary>
    public bool Is(string host) => host.Split(':') is [_, var pid, ..] && pid == Pid.ToString();
    public bool HasExited => _process.HasExited;

    public string Output
    {
        get { lock (_output) return string.Join('\n', _output); }
    }

    /// <summary>SIGKILL: no shutdown, no last words, as a power cut.</summary>
    public void KillHard() => _process.Kill(entireProcessTree: true);

    /// <summary>SIGSTOP, then SIGCONT: a host that stops answering for a while (a long pause, a cut network) and comes back.</summary>
    public void Freeze() => Signal("STOP");
    public void Thaw() => Signal("CONT");

    private void Signal(string name)
    {
        using var kill = Process.Start("kill", [$"-{name}", Pid.ToString()]);
        kill.WaitForExit();
        if (kill.ExitCode != 0) throw new InvalidOperationException($"kill -{name} {Pid} failed");
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
    }

    /// <summary>`health`, as a container healthcheck runs it: exit code and its one line.</summary>
    public static async Task<(int Exit, string Line)> HealthAsync(string connectionString)
    {
        var psi = new ProcessStartInfo("dotnet", [TrainingDll(), "health"]) { RedirectStandardOutput = true, UseShellExecute = false };
        psi.Environment["ConnectionStrings__Dashboard"] = connectionString;
        using var p = Process.Start(psi)!;
        var line = (await p.StandardOutput.ReadToEndAsync()).Trim();
        await p.WaitForExitAsync();
        return (p.ExitCode, line);
    }

    // The worker's build beside ours: src/Training/bin/<configuration>/net10.0, found from the repository root.
    private static string TrainingDll()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = here.Parent!.Name;  // .../bin/<configuration>/net10.0/
        var root = here;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Dashboard.sln"))) root = root.Parent;
        if (root is null) throw new InvalidOperationException("Dashboard.sln not found above " + AppContext.BaseDirectory);
        var dll = Path.Combine(root.FullName, "src", "Training", "bin", configuration, "net10.0", "Dashboard.Training.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("build src/Training first", dll);
    }
}
