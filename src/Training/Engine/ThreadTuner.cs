using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dashboard.Training.Models;
using Dashboard.Training.Native;
using Dashboard.Training.Specs;

namespace Dashboard.Training.Engine;

/// <summary>How many libtorch intra-op threads a run may use.</summary>
/// <param name="Fixed">Training:Threads; 0 lets <see cref="ThreadTuner"/> measure.</param>
/// <param name="Max">The most a run may take: the host's cores shared out among the worker's slots.</param>
/// <param name="CacheFile">Where measured counts are kept on this host.</param>
/// <param name="Slots">Runs that train at once on this host (Worker:Slots; 1 for the command line).</param>
public sealed record ThreadPolicy(int Fixed, int Max, string CacheFile, int Slots = 1);

/// <param name="Measured">Samples per second of the probe at each thread count; empty when nothing was measured now.</param>
public sealed record ThreadChoice(int Threads, string Description, IReadOnlyDictionary<int, double> Measured);

/// <summary>
/// Chooses the intra-op thread count for one workload on this host by timing a few training steps of the run's own
/// model at each candidate count, and keeps the answer per host (a small JSON file) so the next run of the same shape
/// starts at once. Measured because no rule holds: on a 2-core VM here the Fashion-MNIST MLP trained 2.5x faster on
/// one thread than on two, the CNN 1.6x faster on two (bench/RESULTS.md), and libtorch's own default (its count of
/// physical cores, 1 here) is right for one and wrong for the other. The probe trains a throwaway copy on synthetic
/// inputs before the run's model exists, so the run's initial weights and data order are untouched.
/// </summary>
public static class ThreadTuner
{
    private const double MinSecondsPerCandidate = 0.15;
    /// <summary>
    /// A measurement is taken again after this long: one made while the host was busy with something else should not
    /// decide its runs for ever.
    /// </summary>
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromDays(7);

    /// <summary>A step longer than this is not timed at each count: the run takes every thread it may.</summary>
    private const double LongStep = 1.0;
    private static readonly Lock CacheLock = new();

    public static ThreadChoice Choose(ThreadPolicy policy, ExperimentSpec spec, ModelGraph graph, long[] sampleShape, int classes, long batch, string device)
    {
        if (policy.Fixed > 0) return new(policy.Fixed, $"threads: {policy.Fixed} (Training:Threads)", Empty);
        int max = Math.Max(1, policy.Max);
        if (max == 1)
            return new(1, $"threads: 1 ({Cores(Environment.ProcessorCount)}, {policy.Slots} {(policy.Slots == 1 ? "run" : "runs")} at once: one core a run)", Empty);
        if (!device.StartsWith("cpu", StringComparison.Ordinal))
            return new(max, $"threads: {max} (the model trains on {device}; host threads only feed it)", Empty);
        if (batch < 2) return new(max, $"threads: {max} (a batch of one is too small to measure)", Empty);

        var key = Key(spec, graph, batch, max);
        if (ReadCache(policy.CacheFile).TryGetValue(key, out var cached) && cached.Threads is >= 1 && cached.Threads <= max
            && DateTime.UtcNow - cached.Measured < CacheLifetime)
            return new(cached.Threads, $"threads: {cached.Threads}, measured for this model on this host earlier " +
                $"({Describe(cached.SamplesPerSecond)}); delete {policy.CacheFile} to measure again", Empty);

        var clock = Stopwatch.StartNew();
        var measured = Measure(spec, graph, sampleShape, classes, batch, Candidates(max));
        int best = measured.MaxBy(kv => kv.Value).Key;
        WriteCache(policy.CacheFile, key, new CacheEntry(best, measured, DateTime.UtcNow));
        if (measured.Count == 1)
            return new(best, $"threads: {best}, all this run may take: a step takes {batch / measured[best]:0.0} s at {best}, " +
                "long enough to keep every core busy", measured);
        return new(best, $"threads: {best}, measured for this model on this host in {clock.Elapsed.TotalSeconds:0.0} s " +
            $"({Describe(measured)})", measured);
    }

    /// <summary>1, 2, 4, ... below <paramref name="max"/>, and <paramref name="max"/>.</summary>
    public static int[] Candidates(int max)
    {
        var list = new List<int>();
        for (int n = 1; n < max; n *= 2) list.Add(n);
        list.Add(max);
        return [.. list];
    }

    private static string Cores(int n) => n == 1 ? "1 core" : $"{n} cores";

    private static readonly IReadOnlyDictionary<int, double> Empty = new Dictionary<int, double>();

    private static string Describe(IReadOnlyDictionary<int, double> measured) =>
        string.Join(", ", measured.OrderBy(kv => kv.Key).Select(kv =>
            $"{kv.Key} → {kv.Value.ToString("N0", CultureInfo.InvariantCulture)}")) + " samples/s";

    private static Dictionary<int, double> Measure(ExperimentSpec spec, ModelGraph graph, long[] sampleShape, int classes, long batch, int[] candidates)
    {
        long perSample = sampleShape.Aggregate(1L, (a, b) => a * b);
        var inputs = new float[batch * perSample];
        var random = new Random(1);
        for (int i = 0; i < inputs.Length; i++) inputs[i] = (float)(random.NextDouble() * 2 - 1);
        var labels = new long[batch];
        for (int i = 0; i < labels.Length; i++) labels[i] = i % classes;

        using var model = NativeModel.Create(graph, "cpu", 1);
        using var optimizers = Trainer.CreateOptimizers(model, spec.Optimizer);
        // The same work per step with weights that stay put: random inputs at the run's rate could overflow.
        foreach (var o in optimizers.Items) o.SetLearningRate(0);
        using var data = DeviceDataset.Create(inputs, [batch, .. sampleShape], labels, "cpu");

        var best = new Dictionary<int, double>();
        double Step()
        {
            var clock = Stopwatch.StartNew();
            model.TrainStep(optimizers, data, 0, batch);
            model.ReadStats();
            return clock.Elapsed.TotalSeconds;
        }

        // Most threads first: a step that long is compute-bound on large tensors, where the cores all help, and timing
        // it on one thread would cost the run a minute before it starts (ResNet-18 on a 2-core VM: 5 s a step).
        Torch.Threads = candidates[^1];
        double first = Step();   // with the first use's allocations: an upper bound, enough to tell a long step
        if (first > LongStep) return new() { [candidates[^1]] = batch / first };
        first = Step();
        int rounds = first > 0.05 ? 1 : 2;
        // Rounds interleave the candidates so that a burst of other load on the host does not fall on one of them alone.
        for (int round = 0; round < rounds; round++)
        {
            foreach (var threads in candidates.Reverse())
            {
                Torch.Threads = threads;
                double warm = Step();   // warms this count's thread team and buffers
                double fastest = best.Count == 0 ? double.PositiveInfinity : batch / best.Values.Max();
                if (warm > 3 * fastest)
                {
                    // Far slower than the best already: not worth timing further.
                    best[threads] = Math.Max(best.GetValueOrDefault(threads), batch / warm);
                    continue;
                }
                double seconds = 0;
                int steps = 0;
                do { seconds += Step(); steps++; } while (seconds < MinSecondsPerCandidate || steps < 2);
                best[threads] = Math.Max(best.GetValueOrDefault(threads), steps * batch / seconds);
            }
        }
        return best;
    }

    /// <summary>What makes two workloads the same for the thread count: the host, the cores allowed, the model and its batch.</summary>
    private static string Key(ExperimentSpec spec, ModelGraph graph, long batch, int max)
    {
        var text = new StringBuilder();
        text.Append(Worker.AttemptEnvironment.CpuModel).Append('|').Append(Environment.ProcessorCount).Append("|max ").Append(max)
            .Append("|batch ").Append(batch).Append("|opt ").Append(spec.Optimizer.Name);
        foreach (var n in graph.Nodes)
            text.Append('|').Append((int)n.Op).Append(':').AppendJoin(',', n.Inputs).Append(':').AppendJoin(',', n.Attrs)
                .Append(':').AppendJoin(',', n.FAttrs.Select(f => f.ToString("R", CultureInfo.InvariantCulture)))
                .Append(':').AppendJoin(',', n.Shape);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
        return $"{spec.Model!.Name} {graph.ParameterCount} params, batch {batch}, up to {max} threads, {hash}";
    }

    private sealed record CacheEntry(int Threads, Dictionary<int, double> SamplesPerSecond, DateTime Measured);

    private static Dictionary<string, CacheEntry> ReadCache(string file)
    {
        lock (CacheLock) return Load(file);
    }

    private static Dictionary<string, CacheEntry> Load(string file)
    {
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, CacheEntry>>(File.ReadAllText(file)) ?? [];
        }
        // Missing or damaged: measure again and write it anew.
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException) { return []; }
    }

    private static void WriteCache(string file, string key, CacheEntry entry)
    {
        lock (CacheLock)
        {
            try
            {
                var entries = Load(file);
                entries[key] = entry;
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
                // Whole or not at all: another process may read it while this one writes.
                var temp = $"{file}.{Environment.ProcessId}.tmp";
                File.WriteAllText(temp, JsonSerializer.Serialize(entries, new JsonSerializerOptions { WriteIndented = true }));
                File.Move(temp, file, overwrite: true);
            }
            // A host that cannot keep the answer measures again next time; the run itself goes on.
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }
}
