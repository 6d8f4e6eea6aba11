using Microsoft.Extensions.Options;

namespace Dashboard.Training.Worker;

/// <summary>
/// The GPUs of this host (Worker:Devices) shared among the runs it trains at once. A run asking num_gpu = k gets k
/// free GPUs with consecutive numbers (data parallel runs on cuda:N..N+k-1), the ones its spec names when they are
/// free; a CPU run takes none.
/// </summary>
public sealed class DeviceAllocator(IOptions<WorkerOptions> options)
{
    private readonly int[] _gpus = options.Value.Devices
        .Where(d => d.StartsWith("cuda:")).Select(d => int.Parse(d["cuda:".Length..])).Distinct().Order().ToArray();
    private readonly HashSet<int> _busy = [];

    public sealed class Lease(DeviceAllocator owner, int[] gpus, string device) : IDisposable
    {
        /// <summary>What the run trains on: cpu, or the first of its GPUs.</summary>
        public string Device => device;
        public IReadOnlyList<int> Gpus => gpus;
        public string Describe() => gpus.Length == 0 ? "cpu" : string.Join(",", gpus.Select(g => $"cuda:{g}"));

        public void Dispose()
        {
            lock (owner._busy) owner._busy.ExceptWith(gpus);
        }
    }

    /// <summary>Whether this host has k GPUs in a row at all, busy or not.</summary>
    public bool CanServe(string device, int count) => device == "cpu" || Blocks(count).Any();

    public string Configured => string.Join(", ", options.Value.Devices);

    /// <summary>The devices for a run, or null while this host has not k free GPUs in a row.</summary>
    public Lease? TryAcquire(string device, int count)
    {
        if (device == "cpu") return new Lease(this, [], "cpu");
        int wanted = int.Parse(device["cuda:".Length..]);
        lock (_busy)
        {
            var free = Blocks(count).Where(b => !b.Any(_busy.Contains)).ToList();
            if (free.Count == 0) return null;
            var block = free.FirstOrDefault(b => b[0] == wanted) ?? free[0];
            _busy.UnionWith(block);
            return new Lease(this, block, $"cuda:{block[0]}");
        }
    }

    // Every run of `count` consecutive GPU numbers this host has.
    private IEnumerable<int[]> Blocks(int count)
    {
        var have = _gpus.ToHashSet();
        foreach (var first in _gpus)
            if (Enumerable.Range(first, count).All(have.Contains)) yield return Enumerable.Range(first, count).ToArray();
    }
}
