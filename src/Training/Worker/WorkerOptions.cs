using System.ComponentModel.DataAnnotations;

namespace Dashboard.Training.Worker;

/// <summary>Section "Worker": whether this process trains runs, and how many at once.</summary>
public sealed class WorkerOptions
{
    public const string Section = "Worker";

    /// <summary>The web process trains runs itself (embedded mode); a web node of a cluster sets this false.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Runs trained at the same time on this host.</summary>
    [Range(1, 64)]
    public int Slots { get; set; } = 1;

    /// <summary>
    /// Devices runs train on ("cpu", "cuda:0", ...); ["cpu"] when none is configured. No initial value: the
    /// configuration binder appends a bound array to the one already there, which listed the CPU twice.
    /// </summary>
    public string[] Devices { get; set; } = [];

    /// <summary>The default device, applied after binding.</summary>
    public static void Complete(WorkerOptions o)
    {
        if (o.Devices.Length == 0) o.Devices = ["cpu"];
    }

    /// <summary>
    /// Seconds between samples of this host's CPU, memory and GPUs, stored as <c>sys/</c> metrics of the runs training
    /// and shown on the Workers page; 0 turns sampling off. A sample costs well under a millisecond of CPU (plus one
    /// nvidia-smi call on a GPU host), so every few seconds is far below 1% of training (bench/RESULTS.md).
    /// </summary>
    [Range(0, 3600)]
    public double SystemMetricsSeconds { get; set; } = 5;

    /// <summary>nvidia-smi, or its full path where it is not on the PATH (WSL: /usr/lib/wsl/lib/nvidia-smi).</summary>
    public string NvidiaSmi { get; set; } = "nvidia-smi";

    /// <summary>Starts of one run (the first, and restarts after a host died or shut down) before it is failed.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 3;
}
