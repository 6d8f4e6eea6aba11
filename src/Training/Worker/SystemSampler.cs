using System.Diagnostics;
using Dashboard.Data;
using Dashboard.Data.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dashboard.Training.Worker;

/// <summary>
/// Samples this host every Worker:SystemMetricsSeconds, on its own thread and never on a training step: the worker
/// process's CPU and resident memory, the host's memory, and the GPUs' figures from nvidia-smi (on hosts configured
/// with GPUs). Each run training here gets them as <c>sys/</c> metrics at its last logged step, so they share its
/// charts' axes; a run gets the figures of the GPUs it trains on only. The last sample is also the host's current
/// figures on the Workers page (<see cref="Latest"/>, stored by the heartbeat).
/// </summary>
public sealed class SystemSampler(IOptions<WorkerOptions> options, MetricWriter writer, ILogger<SystemSampler> log) : BackgroundService
{
    private sealed class Tracked(long runId, int[] gpus, Func<long> step, TimeSpan cpu, long wall)
    {
        public long RunId => runId;
        public int[] Gpus => gpus;
        public Func<long> Step => step;
        /// <summary>The step of the run's last stored sample: a point per (key, step), so a later one needs a later step.</summary>
        public long LastStep = -1;
        /// <summary>The process's CPU time and the clock at the run's last sample (or its start): its CPU % is the mean since.</summary>
        public TimeSpan Cpu = cpu;
        public long Wall = wall;
    }

    private readonly List<Tracked> _runs = [];
    private readonly bool _hasGpus = options.Value.Devices.Any(d => d.StartsWith("cuda:", StringComparison.Ordinal));
    private string? _gpuError;
    private TimeSpan _lastCpu = HostFigures.ProcessCpuTime();
    private long _lastWall = Stopwatch.GetTimestamp();

    /// <summary>The host's figures at the last sample; null before the first one, or with sampling off.</summary>
    public HostFigures? Latest { get; private set; }

    public TimeSpan Interval => TimeSpan.FromSeconds(options.Value.SystemMetricsSeconds);

    /// <summary>
    /// Samples a run from now until disposed. Disposed before its attempt's points are flushed and its end recorded:
    /// no sample of it is queued after that.
    /// </summary>
    /// <param name="gpus">The GPU numbers it trains on (cuda:N).</param>
    /// <param name="step">Its last logged step; negative before the first.</param>
    public IDisposable Track(long runId, IReadOnlyList<int> gpus, Func<long> step)
    {
        var tracked = new Tracked(runId, [.. gpus], step, HostFigures.ProcessCpuTime(), Stopwatch.GetTimestamp());
        lock (_runs) _runs.Add(tracked);
        return new Untrack(this, tracked);
    }

    private sealed class Untrack(SystemSampler owner, Tracked tracked) : IDisposable
    {
        public void Dispose()
        {
            lock (owner._runs) owner._runs.Remove(tracked);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (Interval <= TimeSpan.Zero) return;
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try { await SampleAsync(stoppingToken); }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Only figures: a sampling fault must never touch training.
                log.LogWarning(e, "System metrics not sampled");
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One sample: the host's figures, and a point of each figure for each run that has logged a step since its last one.</summary>
    public async Task SampleAsync(CancellationToken ct)
    {
        var gpus = _hasGpus ? await QueryGpusAsync(ct) : [];
        var cpu = HostFigures.ProcessCpuTime();
        long wall = Stopwatch.GetTimestamp();
        double rss = HostFigures.ProcessRssGiB();
        var (hostUsed, hostTotal) = HostFigures.HostMemory();
        var now = DateTime.UtcNow;
        Latest = new HostFigures(now, CpuPercent(cpu - _lastCpu, wall - _lastWall), rss, hostUsed, hostTotal, gpus);
        (_lastCpu, _lastWall) = (cpu, wall);

        // Under the lock: a run untracked meanwhile gets nothing after it was untracked.
        lock (_runs)
        {
            foreach (var run in _runs)
            {
                long step = run.Step();
                // Not past its last sample (a step or a validation longer than the interval): the next sample's CPU
                // figure covers this time too, as the mean since the last one.
                if (step < 0 || step <= run.LastStep) continue;
                void Add(string key, double? value)
                {
                    if (value is { } v && double.IsFinite(v))
                        writer.Enqueue(new MetricPoint { RunId = run.RunId, Key = key, Step = step, Value = v, Time = now });
                }
                Add(MetricCatalogue.SysCpu.Name, CpuPercent(cpu - run.Cpu, wall - run.Wall));
                Add(MetricCatalogue.SysRss.Name, rss);
                Add(MetricCatalogue.SysHostMemory.Name, hostUsed);
                Add(MetricCatalogue.SysHostMemoryTotal.Name, hostTotal);
                foreach (var g in gpus.Where(g => run.Gpus.Contains(g.Index)))
                {
                    Add(MetricCatalogue.Gpu(g.Index, "util"), g.Utilisation);
                    Add(MetricCatalogue.Gpu(g.Index, "mem"), g.MemoryGiB);
                    Add(MetricCatalogue.Gpu(g.Index, "mem_total"), g.MemoryTotalGiB);
                    Add(MetricCatalogue.Gpu(g.Index, "power"), g.PowerWatts);
                    Add(MetricCatalogue.Gpu(g.Index, "temp"), g.TemperatureC);
                }
                (run.LastStep, run.Cpu, run.Wall) = (step, cpu, wall);
            }
        }
    }

    private static double CpuPercent(TimeSpan cpu, long wallTicks) =>
        wallTicks <= 0 ? 0 : Math.Max(0, 100 * cpu.TotalSeconds / Stopwatch.GetElapsedTime(0, wallTicks).TotalSeconds);

    /// <summary>The GPUs' figures; none, and one line in the log, while nvidia-smi is missing or failing.</summary>
    private async Task<IReadOnlyList<GpuFigures>> QueryGpusAsync(CancellationToken ct)
    {
        var (gpus, error) = await GpuFigures.QueryAsync(options.Value.NvidiaSmi, ct);
        if (error is not null && _gpuError is null)
            log.LogWarning("GPU figures are not sampled while {Error}; CPU and memory still are (Worker:NvidiaSmi)", error);
        else if (error is null && _gpuError is not null)
            log.LogInformation("GPU figures are sampled again");
        _gpuError = error;
        return gpus;
    }
}
