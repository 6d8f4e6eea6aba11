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
        long fewSteps = PerEpoch(2500, 40), manySteps = PerEpoch(2500, 10);   // 50 and 200 steps an epoch
        Assert.True(manySteps - fewSteps < 150 * 64, $"{fewSteps} bytes for an epoch of 50 steps, {manySteps} for one of 200");
    }

    /// <summary>
    /// Scoring the validation set every epoch (val_ap sorts it once per class) reuses its buffers: otherwise each
    /// epoch leaves arrays the size of the validation set behind, and with no collection due for hours the process
    /// grows by that much an epoch (50 KB an epoch on Fashion-MNIST's 10,000 test images).
    /// </summary>
    [Fact]
    public void An_epoch_allocates_the_same_for_a_small_and_a_large_validation_set()
    {
        // 8 steps an epoch either way; 500 and 8,000 validation samples.
        long small = PerEpoch(2500, 250), large = PerEpoch(40000, 4000);
        Assert.True(Math.Abs(large - small) < 4096, $"{small} bytes an epoch with 500 validation samples, {large} with 8,000");
    }

    // Bytes the training thread allocates in epoch 4: past the first epochs' one-time work (JIT, lists growing to size).
    private static long PerEpoch(int n, int batch)
    {
        var spec = SpecJson.Parse($$"""
            { "dataset": { "name": "hyperspheres", "n": {{n}}, "p": 8, "d": 2, "classes": 2 },
              "model": { "name": "mlp", "layer_size": [8] }, "batch_size": {{batch}}, "max_epochs": 4 }
            """);
        var sink = new EpochAllocations();
        Trainer.Train(spec, DatasetLoader.Load(spec.Dataset!, 0, new TrainingOptions()), sink, CancellationToken.None);
        return sink.Bytes[3] - sink.Bytes[2];
    }
}
