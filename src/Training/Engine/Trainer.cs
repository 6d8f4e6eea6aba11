using System.Diagnostics;
using Dashboard.Data.Metrics;
using Dashboard.Training.Datasets;
using Dashboard.Training.Models;
using Dashboard.Training.Native;
using Dashboard.Training.Specs;

namespace Dashboard.Training.Engine;

/// <summary>A struct, so that logging every step allocates nothing on the managed heap.</summary>
public readonly record struct MetricSample(string Key, long Step, double Value, DateTime Time);

public enum TrainOutcome { Completed, Diverged, Cancelled }

public sealed record TrainResult(TrainOutcome Outcome, int Epochs, long Steps, long? DivergedAtStep, IReadOnlyDictionary<string, double> Final);

/// <summary>What the trainer tells the outside world; the trainer itself knows nothing of databases or pages.</summary>
public interface ITrainingSink
{
    void Log(IReadOnlyList<MetricSample> samples);
    void EpochEnded(int epoch, int maxEpochs) { }
    /// <summary>Things a researcher should read: resumed from a checkpoint, a minimum stored, a checkpoint written.</summary>
    void Message(string text) { }
    /// <summary>
    /// Called before a checkpoint is written: a run resumed from it keeps the points up to its step, so those must
    /// be stored by then (a sink that buffers waits here until they are).
    /// </summary>
    void BeforeCheckpoint() { }
}

/// <summary>Where a run keeps its checkpoints and what it resumes from; all optional (a bare run keeps nothing).</summary>
public sealed record TrainContext
{
    public string? CheckpointDir { get; init; }
    /// <summary>A checkpoint (.pt with its .json) to continue from; the run goes on at the epoch after it.</summary>
    public string? ResumeFrom { get; init; }
    /// <summary>
    /// Turns a loss_func.minima_from entry (a file, or a run or a captured minimum the host knows) into the file to load
    /// and where it came from.
    /// </summary>
    public Func<string, LoadedMinimum> ResolveMinimum { get; init; } = LoadedMinimum.AsFile;
    /// <summary>
    /// The thread count, set on the training thread itself: OpenMP keeps a count per thread once the thread has used
    /// libtorch, so two runs in two slots each keep their own. Null leaves libtorch's setting as it is.
    /// </summary>
    public ThreadPolicy? Threads { get; init; }
}

/// <summary>
/// The training loop: one native call per step, statistics read back from the device only when logged.
/// Learning rate and batch size are pure functions of (epoch, step), so a run resumed from a checkpoint at an
/// epoch boundary continues exactly as the uninterrupted one. A non-finite loss ends the run at once as
/// diverged, at the step it happened.
/// </summary>
public static class Trainer
{
    public static TrainResult Train(ExperimentSpec spec, TrainingData data, ITrainingSink sink, CancellationToken ct, TrainContext? context = null) =>
        Train(spec, () => data, sink, ct, context);

    /// <summary>Loads the data through <paramref name="load"/>, so that its host copy can go once it is on the device.</summary>
    public static TrainResult Train(ExperimentSpec spec, Func<TrainingData> load, ITrainingSink sink, CancellationToken ct, TrainContext? context = null)
    {
        context ??= new TrainContext();
        var devices = Devices(spec);
        var uploaded = Upload(load, devices.Split(',')[0], sink);
        using var train = uploaded.Train;
        using var validation = uploaded.Validation;
        // The host copy (hundreds of MB for image sets) is garbage now; hand it back before a run of hours.
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        if (spec.Dataset!.CropPadding > 0 || spec.Dataset.Flip) train.SetAugmentation(spec.Dataset.CropPadding, spec.Dataset.Flip, uploaded.Black);
        int classes = uploaded.Classes;

        var graph = ModelFactory.Build(spec.Model!, uploaded.SampleShape, classes);
        int? threadsChosen = null;
        if (context.Threads is { } threads)
        {
            long firstBatch = Math.Min(Schedules.BatchSize(spec.BatchSchedule, spec.BatchSize, 0), train.Count);
            var choice = ThreadTuner.Choose(threads, spec, graph, uploaded.SampleShape, classes, firstBatch, devices);
            Torch.Threads = choice.Threads;
            threadsChosen = choice.Threads;
            sink.Message(choice.Description);
        }
        var seed = unchecked((ulong)spec.Seed);
        using var model = NativeModel.Create(graph, devices, seed);
        model.SetPrecision(Enum.Parse<Precision>(spec.Precision, ignoreCase: true), spec.CudnnBenchmark);
        using var optimizers = CreateOptimizers(model, spec.Optimizer);

        var checkpoints = context.CheckpointDir is { } dir ? new Checkpoints(dir, spec) : null;
        var minima = new Minima(model, spec.LossFunc, checkpoints);
        var state = new CheckpointState();
        if (context.ResumeFrom is { } resumeFrom)
        {
            state = Checkpoints.Load(model, optimizers, resumeFrom);
            minima.Restore(state.Minima, Path.GetDirectoryName(Path.GetFullPath(resumeFrom))!);
            sink.Message($"resumed from {Path.GetFileName(resumeFrom)} after epoch {state.Epoch}, step {state.Step}");
        }
        else
        {
            foreach (var reference in spec.LossFunc.MinimaFrom) minima.AddFrom(graph, context.ResolveMinimum(reference));
            minima.RecordLoaded();
            foreach (var m in minima.Loaded)
                sink.Message($"loaded the minimum {m.Reference}{(m.SourceRun is null ? "" : $" ({m.SourceRun}{(m.Epoch is { } e ? $", after epoch {e}" : "")})")} to keep away from");
        }
        minima.Apply();

        long flopsPerSample = graph.TrainingFlopsPerSample;
        var final = new Dictionary<string, double>(state.Final)
        {
            ["params"] = model.ParameterCount(),
            ["flops_per_sample"] = flopsPerSample,
        };
        if (threadsChosen is { } n) final["threads"] = n;
        var runClock = Stopwatch.StartNew();
        var stepClock = new Stopwatch();
        long step = state.Step, samples = state.Samples;
        double elapsedBefore = state.Elapsed, trainSecondsBefore = state.TrainSeconds;
        double Elapsed() => elapsedBefore + runClock.Elapsed.TotalSeconds;
        var pending = new List<MetricSample>();
        var lastLr = new double[optimizers.Items.Count];
        Array.Fill(lastLr, double.NaN);
        bool evalOnImages = uploaded.SampleShape.Length == 3;
        var scoreBuffer = new float[validation.Count * classes];
        var apWorkspace = new AveragePrecision.Workspace(uploaded.ValidationLabels.Length);

        for (int epoch = state.Epoch + 1; epoch <= spec.MaxEpochs; epoch++)
        {
            if (ct.IsCancellationRequested) return new(TrainOutcome.Cancelled, epoch - 1, step, null, final);
            int e0 = epoch - 1;  // schedules count epochs from 0, as PyTorch's schedulers do
            var epochClock = Stopwatch.StartNew();
            // Reseeded from (seed, epoch) so that dropout and augmentation draws after a resume match the uninterrupted run.
            model.Reseed(Mix(seed, (ulong)epoch));
            train.Shuffle(seed * 1_000_003UL + (ulong)epoch);
            int batch = (int)Math.Min(Schedules.BatchSize(spec.BatchSchedule, spec.BatchSize, e0), train.Count);
            bool dropLast = spec.BatchSchedule.DropLast;
            long stepsInEpoch = StepsInEpoch(train.Count, batch, dropLast);
            double epochLossSum = 0;
            long epochSteps = 0, epochCorrect = 0, epochSamples = 0, stepInEpoch = 0;

            for (long start = 0, count; stepInEpoch < stepsInEpoch; start += count, stepInEpoch++)
            {
                // Checked every step, logged or not: a cancel stops the run within one step.
                if (ct.IsCancellationRequested) return new(TrainOutcome.Cancelled, epoch - 1, step, null, final);
                for (int k = 0; k < optimizers.Items.Count; k++)
                {
                    var o = optimizers.Items[k];
                    double lr = Schedules.LearningRate(spec.LrSchedule, o.BaseLearningRate, e0, stepInEpoch, stepsInEpoch, spec.MaxEpochs);
                    if (lr != lastLr[k]) { o.SetLearningRate(lr); lastLr[k] = lr; }
                }
                count = BatchLength(train.Count, start, batch, dropLast);
                stepClock.Start();
                model.TrainStep(optimizers, train, start, count);
                stepClock.Stop();
                step++;
                samples += count;
                bool lastOfEpoch = stepInEpoch == stepsInEpoch - 1;
                if (step % spec.LogEvery != 0 && !lastOfEpoch) continue;

                stepClock.Start();
                var stats = model.ReadStats();  // the only host synchronisation in the loop
                stepClock.Stop();
                if (stats.FirstNonFiniteStep is { } bad)
                {
                    sink.Log(pending);
                    sink.Message($"diverged: the loss was not finite at step {bad}");
                    return new(TrainOutcome.Diverged, epoch - 1, step, bad, final);
                }
                epochLossSum += stats.LossSum;
                epochSteps += stats.Steps;
                epochCorrect += stats.Correct;
                epochSamples += stats.Samples;
                var now = DateTime.UtcNow;
                pending.Add(new(MetricCatalogue.Loss.Name, step, stats.MeanLoss, now));
                pending.Add(new(MetricCatalogue.Lr.Name, step, lastLr[0], now));
                pending.Add(new(MetricCatalogue.BatchSize.Name, step, count, now));
                pending.Add(new(MetricCatalogue.Updates.Name, step, step, now));
                pending.Add(new(MetricCatalogue.Samples.Name, step, samples, now));
                pending.Add(new(MetricCatalogue.Flops.Name, step, (double)samples * flopsPerSample, now));
                pending.Add(new(MetricCatalogue.Elapsed.Name, step, Elapsed(), now));
                sink.Log(pending);
                pending.Clear();
            }

            var (valLoss, valAccuracy, scores) = model.EvaluateWithScores(validation, evalOnImages ? 500 : Math.Max(batch, 1024), classes, scoreBuffer);
            if (!double.IsFinite(valLoss))
            {
                sink.Message($"diverged: the validation loss was not finite after step {step}");
                return new(TrainOutcome.Diverged, epoch - 1, step, step, final);
            }
            var t = DateTime.UtcNow;
            double trainSeconds = trainSecondsBefore + stepClock.Elapsed.TotalSeconds;
            var epochMetrics = new Dictionary<string, double>
            {
                [MetricCatalogue.TrainLoss.Name] = epochLossSum / epochSteps,
                [MetricCatalogue.TrainAccuracy.Name] = (double)epochCorrect / epochSamples,
                [MetricCatalogue.ValLoss.Name] = valLoss,
                [MetricCatalogue.ValAccuracy.Name] = valAccuracy,
                [MetricCatalogue.ValAp.Name] = AveragePrecision.Macro(scores, uploaded.ValidationLabels, classes, apWorkspace),
                [MetricCatalogue.EpochTime.Name] = epochClock.Elapsed.TotalSeconds,
                [MetricCatalogue.Epoch.Name] = epoch,
            };
            if (model.Distance() is { } distance) epochMetrics[MetricCatalogue.Distance.Name] = distance;
            foreach (var (k, v) in epochMetrics) final[k] = v;
            final["epochs"] = epoch;
            final["samples_per_s"] = samples / Math.Max(trainSeconds, 1e-9);
            sink.Log([.. epochMetrics.Select(kv => new MetricSample(kv.Key, step, kv.Value, t))]);

            if (spec.LossFunc.CaptureEpochs.Contains(epoch))
            {
                minima.Capture(epoch);
                minima.Apply();
                sink.Message($"stored the weights after epoch {epoch} as minimum {minima.Count}");
            }
            if (checkpoints is not null)
            {
                sink.BeforeCheckpoint();
                var snapshot = new CheckpointState
                {
                    Epoch = epoch, Step = step, Samples = samples, Elapsed = Elapsed(), TrainSeconds = trainSeconds,
                    Minima = minima.Files, Final = new(final),
                };
                bool periodic = spec.Checkpoint.Every > 0 && epoch % spec.Checkpoint.Every == 0;
                if (periodic || epoch == spec.MaxEpochs) checkpoints.Save(model, optimizers, snapshot);
                if (spec.Checkpoint.KeepBest is { } key && epochMetrics.TryGetValue(key, out var value) && checkpoints.IsBest(value))
                    checkpoints.SaveBest(model, optimizers, snapshot with { BestMetric = key, BestValue = value });
            }
            Torch.ReleaseFreeMemory();
            sink.EpochEnded(epoch, spec.MaxEpochs);
        }
        return new(TrainOutcome.Completed, spec.MaxEpochs, step, null, final);
    }

    private sealed record Uploaded(DeviceDataset Train, DeviceDataset Validation, long[] SampleShape, int Classes, long[] ValidationLabels, float[]? Black);

    // Apart from Train so that nothing keeps the host arrays reachable once they are on the device.
    private static Uploaded Upload(Func<TrainingData> load, string device, ITrainingSink sink)
    {
        var data = load();
        sink.Message($"{data.Train.Count} training and {data.Validation.Count} validation samples of shape [{string.Join(", ", data.Train.Shape[1..])}], {data.Classes} classes");
        var train = DeviceDataset.Create(data.Train.Inputs, data.Train.Shape, data.Train.Labels, device);
        try
        {
            var validation = DeviceDataset.Create(data.Validation.Inputs, data.Validation.Shape, data.Validation.Labels, device);
            return new(train, validation, data.Train.Shape[1..], data.Classes, data.Validation.Labels, data.Black);
        }
        catch
        {
            train.Dispose();
            throw;
        }
    }

    // A lone last sample joins the batch before it: batch norm cannot normalise a batch of one. With drop_last the
    // last partial batch is not trained on at all (its few samples at a large lr spike the loss); the shuffle draws
    // other samples into it next epoch. The two functions below are the one rule, seen from a batch and from the epoch.

    /// <summary>The size of the batch starting at <paramref name="start"/> in a pass over <paramref name="total"/> samples (0: none, dropped).</summary>
    public static long BatchLength(long total, long start, long batch, bool dropLast = false)
    {
        if (dropLast) return start + batch <= total ? batch : 0;
        long count = Math.Min(batch, total - start);
        return total - (start + count) == 1 ? count + 1 : count;
    }

    /// <summary>Batches in one pass over <paramref name="count"/> samples.</summary>
    public static long StepsInEpoch(long count, long batch, bool dropLast = false)
    {
        if (dropLast) return count / batch;
        long steps = (count + batch - 1) / batch;
        return steps > 1 && count % batch == 1 ? steps - 1 : steps;
    }

    /// <summary>One device, or k consecutive GPUs from the spec's device for data parallel training.</summary>
    public static string Devices(ExperimentSpec spec)
    {
        if (spec.NumGpu <= 1) return spec.Device;
        int first = int.Parse(spec.Device["cuda:".Length..]);
        return string.Join(',', Enumerable.Range(first, spec.NumGpu).Select(i => $"cuda:{i}"));
    }

    private static ulong Mix(ulong seed, ulong epoch) => unchecked((seed + 0x9E3779B97F4A7C15UL * (epoch + 1)) ^ (seed >> 29));

    /// <summary>The top-level optimizer over every node not claimed by a group, then one per group.</summary>
    internal static OptimizerSet CreateOptimizers(NativeModel model, OptimizerSpec top)
    {
        var groups = top.Groups ?? [];
        var claimed = groups.SelectMany(g => model.Graph.NodesIn(g.Params!)).ToHashSet();
        var rest = Enumerable.Range(0, model.Graph.Nodes.Count).Where(i => !claimed.Contains(i)).ToArray();
        var list = new List<NativeOptimizer>();
        if (model.GroupParameterCount(rest) > 0) list.Add(Create(model, top, rest));
        foreach (var g in groups) list.Add(Create(model, g, [.. model.Graph.NodesIn(g.Params!)]));
        return new OptimizerSet(list);
    }

    private static NativeOptimizer Create(NativeModel model, OptimizerSpec o, IReadOnlyList<int> nodes) => o.Name switch
    {
        "sgd" or "sgd_momentum_wdecay" => NativeOptimizer.Create(model, OptimizerKind.Sgd, o.Lr, o.EffectiveMomentum, o.EffectiveWeightDecay, nodes: nodes),
        "adam" => NativeOptimizer.Create(model, OptimizerKind.Adam, o.Lr, weightDecay: o.EffectiveWeightDecay, beta1: o.Beta1, beta2: o.Beta2, eps: o.Eps, nodes: nodes),
        "adamw" => NativeOptimizer.Create(model, OptimizerKind.AdamW, o.Lr, weightDecay: o.EffectiveWeightDecay, beta1: o.Beta1, beta2: o.Beta2, eps: o.Eps, nodes: nodes),
        _ => throw new ArgumentException($"unknown optimizer '{o.Name}'"),
    };
}
