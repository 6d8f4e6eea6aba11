using Dashboard.Training.Engine;
using Microsoft.Extensions.Configuration;

namespace Dashboard.Training;

/// <summary>Section "Training": how this host trains.</summary>
public sealed class TrainingOptions
{
    public const string Section = "Training";

    /// <summary>
    /// libtorch intra-op threads per run; 0: measured for each model on this host (Engine/ThreadTuner), at most the
    /// host's cores shared out among the worker's slots.
    /// </summary>
    public int Threads { get; set; }

    /// <summary>The file that keeps measured thread counts; empty: $XDG_CACHE_HOME (or ~/.cache)/dashboard/threads.json.</summary>
    public string ThreadCache { get; set; } = "";

    public string FashionMnistDir { get; set; } = "/usr/share/datasets/fashion-mnist";
    public string MnistDir { get; set; } = "data/mnist";
    /// <summary>CIFAR-10 binary batches (data_batch_1.bin ... test_batch.bin), or their cifar-10-batches-bin folder.</summary>
    public string Cifar10Dir { get; set; } = "data/cifar10";
    /// <summary>
    /// Further folders a spec's dataset.folder may name. A spec can only read data inside these and the three folders
    /// above: whoever may launch a run must not make the trainer read any file of the host.
    /// </summary>
    public string[] DataRoots { get; set; } = [];

    public IEnumerable<string> DatasetRoots => DataRoots.Append(FashionMnistDir).Append(MnistDir).Append(Cifar10Dir);


    /// <summary>The Training section of appsettings.json beside the program, overridden by Training__* environment variables.</summary>
    public static TrainingOptions FromConfiguration()
    {
        var config = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables()
            .Build();
        var options = new TrainingOptions();
        config.GetSection(Section).Bind(options);
        return options;
    }

    /// <summary>The threads a run may use when <paramref name="slots"/> runs train at once on this host.</summary>
    public ThreadPolicy ThreadPolicy(int slots) =>
        new(Threads, Math.Max(1, Environment.ProcessorCount / Math.Max(1, slots)), ThreadCache is { Length: > 0 } file ? file : DefaultThreadCache(), slots);

    private static string DefaultThreadCache()
    {
        var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
            ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(cache, "dashboard", "threads.json");
    }
}
