using System.Diagnostics;
using Dashboard.Training.Datasets;
using Dashboard.Training.Models;
using Dashboard.Training.Native;
using Dashboard.Training.Specs;

namespace Dashboard.Training.Engine;

public sealed record MetricSample(string Key, long Step, double Value, DateTime Time);

public enum TrainOutcome { Completed, Diverged, Cancelled }

public sealed record TrainResult(TrainOutcome Outcome, int Epochs, long Steps, long? DivergedAtStep, IReadOnlyDictionary<string, double> Final);

/// <summary>What the trainer tells the outside world; the trainer itself knows nothing of databases or pages.</summary>
public interface ITrainingSink
{
    void Log(IReadOnlyList<MetricSample> samples);
    void EpochEnded(int epoch, int maxEpochs) { }
}

/// <summary>
/// The training loop: one native call per step, statistics read back from the device only when logged.
/// A non-finite loss ends the run at once as diverged, at the step it happened.
/// </summary>
public static class Trainer
{
    public static TrainResult Train(ExperimentSpec spec, TrainingData data, ITrainingSink sink, CancellationToken ct)
    {
        var graph = ModelFactory.Build(spec.Model!, data.Train.Features, data.Classes);
        var seed = unchecked((ulong)spec.Seed);
        using var model = NativeModel.Create(graph, spec.Device, seed);
        using var optimizer = CreateOptimizer(model, spec.Optimizer);
        using var train = DeviceDataset.Create(data.Train.Inputs, data.Train.Shape, data.Train.Labels, spec.Device);
        using var validation = DeviceDataset.Create(data.Validation.Inputs, data.Validation.Shape, data.Validation.Labels, spec.Device);

        var clock = Stopwatch.StartNew();
        var final = new Dictionary<string, double> { ["params"] = model.ParameterCount() };
        long step = 0, samples = 0;
        int batch = spec.BatchSize;
        double lr = spec.Optimizer.Lr;
        var pending = new List<MetricSample>();

        for (int epoch = 1; epoch <= spec.MaxEpochs; epoch++)
        {
            if (ct.IsCancellationRequested) return new(TrainOutcome.Cancelled, epoch - 1, step, null, final);
            var epochClock = Stopwatch.StartNew();
            train.Shuffle(seed * 1_000_003UL + (ulong)epoch);
            double epochLossSum = 0;
            long epochSteps = 0, epochCorrect = 0, epochSamples = 0;

            for (long start = 0; start < train.Count; start += batch)
            {
                long count = Math.Min(batch, train.Count - start);
                model.TrainStep(optimizer, train, start, count);
                step++;
                samples += count;
                bool lastOfEpoch = start + count >= train.Count;
                if (step % spec.LogEvery != 0 && !lastOfEpoch) continue;

                var stats = model.ReadStats();
                if (stats.FirstNonFiniteStep is { } bad)
                {
                    sink.Log(pending);
                    return new(TrainOutcome.Diverged, epoch - 1, step, bad, final);
                }
                epochLossSum += stats.LossSum;
                epochSteps += stats.Steps;
                epochCorrect += stats.Correct;
                epochSamples += stats.Samples;
                var now = DateTime.UtcNow;
                pending.Add(new("loss", step, stats.MeanLoss, now));
                pending.Add(new("lr", step, lr, now));
                pending.Add(new("batch_size", step, count, now));
                pending.Add(new("updates", step, step, now));
                pending.Add(new("samples", step, samples, now));
                pending.Add(new("elapsed", step, clock.Elapsed.TotalSeconds, now));
                sink.Log(pending);
                pending.Clear();
                if (ct.IsCancellationRequested) return new(TrainOutcome.Cancelled, epoch - 1, step, null, final);
            }

            var (valLoss, valAccuracy) = model.Evaluate(validation, Math.Max(batch, 1024));
            if (!double.IsFinite(valLoss))
                return new(TrainOutcome.Diverged, epoch - 1, step, step, final);
            var t = DateTime.UtcNow;
            final["train_loss"] = epochLossSum / epochSteps;
            final["train_accuracy"] = (double)epochCorrect / epochSamples;
            final["val_loss"] = valLoss;
            final["val_accuracy"] = valAccuracy;
            final["epoch_time"] = epochClock.Elapsed.TotalSeconds;
            final["epoch"] = epoch;
            final["samples_per_s"] = samples / clock.Elapsed.TotalSeconds;
            sink.Log([.. final.Where(kv => kv.Key != "params" && kv.Key != "samples_per_s").Select(kv => new MetricSample(kv.Key, step, kv.Value, t))]);
            sink.EpochEnded(epoch, spec.MaxEpochs);
        }
        return new(TrainOutcome.Completed, spec.MaxEpochs, step, null, final);
    }

    private static NativeOptimizer CreateOptimizer(NativeModel model, OptimizerSpec o) => o.Name switch
    {
        "sgd" or "sgd_momentum_wdecay" => NativeOptimizer.Create(model, OptimizerKind.Sgd, o.Lr, o.EffectiveMomentum, o.EffectiveWeightDecay),
        "adam" => NativeOptimizer.Create(model, OptimizerKind.Adam, o.Lr, weightDecay: o.EffectiveWeightDecay),
        "adamw" => NativeOptimizer.Create(model, OptimizerKind.AdamW, o.Lr, weightDecay: o.EffectiveWeightDecay),
        _ => throw new ArgumentException($"unknown optimizer '{o.Name}'"),
    };
}
