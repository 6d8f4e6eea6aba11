using Dashboard.Training.Datasets;
using Dashboard.Training.Engine;
using Dashboard.Training.Specs;

namespace Dashboard.Training.Tests;

public class AllocationTests
{
    private sealed class EpochAllocations : ITrainingSink
    {
        private readonly Dictionary<string, double> _last = [];
        public List<long> Bytes { get; } = [];
        public void Log(IReadOnlyList<MetricSample> samples)
        {
            for (int i = 0; i < samples.Count; i++) _last[samples[i].Key] = samples[i].Value;
        }
        public void EpochEnded(int epoch, int maxEpochs) => Bytes.Add(GC.GetAllocatedBytesForCurrentThread());
    }

    /// <summary>
    /// A run of hours logs millions of steps: the loop itself must not allocate per step, or the process grows until
    /// the collector runs. Epochs of 200 and of 50 steps must allocate about the same (the per-epoch work only).
    /// </summary>
    [Fact]
    public void The_training_loop_allocates_nothing_per_logged_step()
    {
        long PerEpoch(int batch)
        {
            var spec = SpecJson.Parse($$"""
                { "dataset": { "name": "hyperspheres", "n": 2500, "p": 8, "d": 2, "classes": 2 },
                  "model": { "name": "mlp", "layer_size": [8] }, "batch_size": {{batch}}, "max_epochs": 4 }
                """);
            var sink = new EpochAllocations();
            Trainer.Train(spec, DatasetLoader.Load(spec.Dataset!, 0, new TrainingOptions()), sink, CancellationToken.None);
            // Epochs 3 and 4: past the first epoch's one-time work (JIT, lists growing to size).
            return sink.Bytes[3] - sink.Bytes[2];
        }

        long fewSteps = PerEpoch(40), manySteps = PerEpoch(10);   // 50 and 200 steps an epoch
        Assert.True(manySteps - fewSteps < 150 * 64, $"{fewSteps} bytes for an epoch of 50 steps, {manySteps} for one of 200");
    }
}
