using Dashboard.Training.Datasets;
using Dashboard.Training.Engine;
using Dashboard.Training.Specs;

namespace Dashboard.Training.Tests;

/// <summary>batch_schedule.drop_last on the real trainer: each epoch's steps and the samples in each step, as logged.</summary>
public class DropLastTests
{
    private sealed class Recorder : ITrainingSink
    {
        public List<MetricSample> Samples { get; } = [];
        public void Log(IReadOnlyList<MetricSample> samples) { lock (Samples) Samples.AddRange(samples); }
        public MetricSample[] Series(string key) => [.. Samples.Where(s => s.Key == key).OrderBy(s => s.Step)];
    }

    // 1,000 points, a fifth held out: 800 training samples, which no batch size below divides.
    private static ExperimentSpec Spec(bool dropLast, string schedule = "\"name\": \"constant\"") => SpecJson.Parse($$"""
        { "dataset": { "name": "hyperspheres", "n": 1000, "p": 16, "d": 3, "classes": 3 },
          "model": { "name": "mlp", "layer_size": [16] },
          "optimizer": { "name": "sgd", "lr": 0.1 },
          "batch_size": 48, "batch_schedule": { {{schedule}}, "drop_last": {{(dropLast ? "true" : "false")}} }, "max_epochs": 3 }
        """);

    private static Recorder Train(ExperimentSpec spec)
    {
        var rec = new Recorder();
        var result = Trainer.Train(spec, DatasetLoader.Load(spec.Dataset!, spec.Seed, new TrainingOptions()), rec, CancellationToken.None);
        Assert.Equal(TrainOutcome.Completed, result.Outcome);
        return rec;
    }

    /// <summary>Steps in each epoch: the differences of the step at which each epoch's val_loss is logged.</summary>
    private static long[] StepsPerEpoch(Recorder rec)
    {
        var ends = rec.Series("val_loss").Select(s => s.Step).Prepend(0).ToArray();
        return [.. ends.Zip(ends.Skip(1), (a, b) => b - a)];
    }

    [Fact]
    public void With_drop_last_an_epoch_takes_floor_n_over_b_full_steps_and_without_it_ceil_with_a_short_last_one()
    {
        var dropped = Train(Spec(dropLast: true));
        Assert.Equal([16, 16, 16], StepsPerEpoch(dropped));                   // floor(800 / 48)
        Assert.All(dropped.Series("batch_size"), s => Assert.Equal(48, s.Value));
        Assert.Equal(3 * 16 * 48, dropped.Series("samples")[^1].Value);
        Assert.Equal(Enumerable.Range(1, 48).Select(i => (double)i), dropped.Series("updates").Select(s => s.Value));

        var kept = Train(Spec(dropLast: false));
        Assert.Equal([17, 17, 17], StepsPerEpoch(kept));                       // ceil(800 / 48)
        Assert.Equal(3, kept.Series("batch_size").Count(s => s.Value < 48));
        Assert.All(kept.Series("batch_size").Where(s => s.Value < 48), s => Assert.Equal(800 - 16 * 48, s.Value));
        Assert.Equal(3 * 800, kept.Series("samples")[^1].Value);
    }

    [Fact]
    public void A_growing_batch_drops_each_epochs_own_remainder()
    {
        // 48, 72, 108: floor(800 / b) full batches each epoch.
        var rec = Train(Spec(dropLast: true, "\"name\": \"exponential\", \"growth\": 1.5"));
        Assert.Equal([16, 11, 7], StepsPerEpoch(rec));
        var sizes = rec.Series("batch_size").Select(s => s.Value).ToArray();
        Assert.Equal(Enumerable.Repeat(48.0, 16).Concat(Enumerable.Repeat(72.0, 11)).Concat(Enumerable.Repeat(108.0, 7)), sizes);
        Assert.Equal(16 * 48 + 11 * 72 + 7 * 108, rec.Series("samples")[^1].Value);
    }

    [Fact]
    public void Drop_last_is_in_the_spec_and_off_by_default()
    {
        Assert.False(SpecJson.Parse("""{ "dataset": "hyperspheres", "model": "mlp" }""").BatchSchedule.DropLast);
        Assert.True(Spec(dropLast: true).BatchSchedule.DropLast);
        var errors = Assert.Throws<InvalidSpecException>(() => SpecJson.Parse("""{ "dataset": "hyperspheres", "model": "mlp", "batch_schedule": { "drop_last": "yes" } }""")).Errors;
        Assert.Contains("batch_schedule.drop_last", errors.Fields);
    }
}
