using System.Text.Json;
using Dashboard.Training.Datasets;
using Dashboard.Training.Engine;
using Dashboard.Training.Native;
using Dashboard.Training.Specs;

namespace Dashboard.Training;

/// <summary>`train SPEC.json [--device cpu|cuda:N] [--data-dir DIR]`: trains one run without a database.</summary>
public static class TrainCommand
{
    public static int Run(string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith("--"))
        {
            Console.Error.WriteLine("usage: train SPEC.json [--device cpu|cuda:N] [--data-dir DIR]");
            return 2;
        }
        string? device = null, dataDir = null;
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--device" when i + 1 < args.Length: device = args[++i]; break;
                case "--data-dir" when i + 1 < args.Length: dataDir = args[++i]; break;
                default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
            }
        }
        ExperimentSpec spec;
        try
        {
            spec = SpecJson.Parse(File.ReadAllText(args[0]));
            if (device is not null) spec = spec with { Device = device };
            if (dataDir is not null) spec = spec with { Dataset = spec.Dataset! with { Folder = dataDir } };
        }
        catch (InvalidSpecException e)
        {
            foreach (var (field, messages) in e.Errors.ToDictionary())
                foreach (var m in messages) Console.Error.WriteLine($"{args[0]}: {field}: {m}");
            return 2;
        }
        catch (IOException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }

        var options = new TrainingOptions();
        Torch.Threads = options.EffectiveThreads;
        var data = DatasetLoader.Load(spec.Dataset!, spec.Seed, options);
        var result = Trainer.Train(spec, data, new ConsoleSink(), CancellationToken.None);
        var summary = result.Final.ToDictionary(kv => kv.Key, kv => (object)kv.Value);
        summary["status"] = result.Outcome.ToString().ToLowerInvariant();
        summary["steps"] = result.Steps;
        if (result.DivergedAtStep is { } s) summary["diverged_at_step"] = s;
        Console.WriteLine(JsonSerializer.Serialize(summary));
        return result.Outcome == TrainOutcome.Completed ? 0 : 1;
    }

    private sealed class ConsoleSink : ITrainingSink
    {
        private readonly Dictionary<string, double> _last = [];

        public void Log(IReadOnlyList<MetricSample> samples)
        {
            foreach (var s in samples) _last[s.Key] = s.Value;
        }

        public void EpochEnded(int epoch, int maxEpochs) =>
            Console.WriteLine($"epoch {epoch}/{maxEpochs} ({100 * epoch / maxEpochs}%)  loss {_last.GetValueOrDefault("train_loss"):F4}  " +
                              $"val_loss {_last.GetValueOrDefault("val_loss"):F4}  val_accuracy {_last.GetValueOrDefault("val_accuracy"):F4}  " +
                              $"{_last.GetValueOrDefault("epoch_time"):F2}s");
    }
}
