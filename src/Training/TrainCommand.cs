using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dashboard.Training.Datasets;
using Dashboard.Training.Engine;
using Dashboard.Training.Models;
using Dashboard.Training.Native;
using Dashboard.Training.Specs;

namespace Dashboard.Training;

/// <summary>
/// `train SPEC.json [--device cpu|cuda:N] [--data-dir DIR] [--out DIR] [--resume CHECKPOINT]`: trains one run
/// without a database, prints progress lines, and ends with one line holding the final metrics as JSON.
/// --out writes metrics.csv and the checkpoints.
/// </summary>
public static class TrainCommand
{
    private const string Usage = "usage: train SPEC.json [--device cpu|cuda:N] [--data-dir DIR] [--out DIR] [--resume CHECKPOINT.pt]";

    public static int Run(string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith("--"))
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }
        string? device = null, dataDir = null, outDir = null, resume = null;
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--device" when i + 1 < args.Length: device = args[++i]; break;
                case "--data-dir" when i + 1 < args.Length: dataDir = args[++i]; break;
                case "--out" when i + 1 < args.Length: outDir = args[++i]; break;
                case "--resume" when i + 1 < args.Length: resume = args[++i]; break;
                default: Console.Error.WriteLine($"unknown option {args[i]}\n{Usage}"); return 2;
            }
        }
        ExperimentSpec spec;
        try
        {
            var json = File.ReadAllText(args[0]);
            spec = SpecJson.Parse(json);
            if (spec.Sweep is not null)
            {
                Console.Error.WriteLine($"{args[0]}: sweep: train runs one spec; launch a sweep from the dashboard or POST it to /api/experiments");
                return 2;
            }
            // Overrides go through the same validation as the file.
            if (device is not null || dataDir is not null)
            {
                spec = spec with { Device = device ?? spec.Device, Dataset = spec.Dataset! with { Folder = dataDir ?? spec.Dataset.Folder } };
                spec = SpecJson.Parse(SpecJson.SerializeAll(spec));
            }
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

        var options = TrainingOptions.FromConfiguration();
        TrainResult result;
        CsvSink? csv = null;
        try
        {
            Console.WriteLine($"loading {spec.Dataset!.Name}; training {spec.Model!.Name} on {Trainer.Devices(spec)}");
            Console.WriteLine($"memory estimate: {MemoryEstimate.For(spec).Describe()}");
            if (outDir is not null)
            {
                Directory.CreateDirectory(outDir);
                var resumed = resume is null ? null : Checkpoints.StateOf(resume);
                csv = new CsvSink(Path.Combine(outDir, "metrics.csv"), resumed);
            }
            var context = new TrainContext
            {
                CheckpointDir = outDir is null ? null : Path.Combine(outDir, "checkpoints"),
                ResumeFrom = resume,
                Threads = options.ThreadPolicy(slots: 1),
            };
            result = Trainer.Train(spec, () => DatasetLoader.Load(spec.Dataset!, spec.Seed, options), new ConsoleSink(csv), CancellationToken.None, context);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or NativeException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
        finally
        {
            csv?.Dispose();
        }
        var summary = result.Final.ToDictionary(kv => kv.Key, kv => (object)kv.Value);
        summary["status"] = result.Outcome.ToString().ToLowerInvariant();
        summary["steps"] = result.Steps;
        summary["memory_estimate"] = MemoryEstimate.For(spec).Total;
        if (result.DivergedAtStep is { } s) summary["diverged_at_step"] = s;
        Console.WriteLine(JsonSerializer.Serialize(summary));
        return result.Outcome == TrainOutcome.Completed ? 0 : 1;
    }

    /// <summary>Epoch lines with a percentage, and a line every 10 s inside long epochs.</summary>
    private sealed class ConsoleSink(CsvSink? csv) : ITrainingSink
    {
        private readonly Dictionary<string, double> _last = [];
        private readonly Stopwatch _sinceLine = Stopwatch.StartNew();

        public void Log(IReadOnlyList<MetricSample> samples)
        {
            // Index loops: a foreach over the interface would allocate an enumerator every step.
            bool stepLine = false;
            for (int i = 0; i < samples.Count; i++)
            {
                _last[samples[i].Key] = samples[i].Value;
                stepLine |= samples[i].Key == "loss";
            }
            csv?.Write(samples);
            if (stepLine && _sinceLine.Elapsed.TotalSeconds >= 10)
            {
                Console.WriteLine($"  step {_last.GetValueOrDefault("updates"):F0}  loss {_last.GetValueOrDefault("loss"):F4}  lr {_last.GetValueOrDefault("lr"):G4}  " +
                                  $"batch {_last.GetValueOrDefault("batch_size"):F0}  {_last.GetValueOrDefault("elapsed"):F0}s");
                _sinceLine.Restart();
            }
        }

        public void EpochEnded(int epoch, int maxEpochs)
        {
            csv?.NextEpoch(epoch + 1);
            var distance = _last.TryGetValue("distance", out var d) ? $"  distance {d:F4}" : "";
            Console.WriteLine($"epoch {epoch}/{maxEpochs} ({100 * epoch / maxEpochs}%)  loss {_last.GetValueOrDefault("train_loss"):F4}  " +
                              $"val_loss {_last.GetValueOrDefault("val_loss"):F4}  val_accuracy {_last.GetValueOrDefault("val_accuracy"):F4}  " +
                              $"val_ap {_last.GetValueOrDefault("val_ap"):F4}{distance}  {_last.GetValueOrDefault("epoch_time"):F2}s");
            _sinceLine.Restart();
        }

        public void Message(string text) => Console.WriteLine(text);
    }

    /// <summary>metrics.csv: key, step, epoch, value, time (ISO 8601 UTC); one row per logged point.</summary>
    private sealed class CsvSink : IDisposable
    {
        private readonly StreamWriter _out;
        private readonly char[] _row = new char[256];
        private int _epoch = 1;

        /// <param name="resumed">When resuming: rows after the checkpoint's step are dropped, as they will be logged again.</param>
        public CsvSink(string path, CheckpointState? resumed)
        {
            var kept = resumed is not null && File.Exists(path)
                ? File.ReadLines(path).Skip(1).Where(line => long.Parse(line.Split(',')[1], CultureInfo.InvariantCulture) <= resumed.Step).ToList()
                : [];
            _out = new StreamWriter(path, append: false);
            _out.WriteLine("key,step,epoch,value,time");
            foreach (var line in kept) _out.WriteLine(line);
            if (resumed is not null) _epoch = resumed.Epoch + 1;
        }

        public void NextEpoch(int epoch) => _epoch = epoch;

        public void Write(IReadOnlyList<MetricSample> samples)
        {
            // Formatted into a reused buffer: a row per metric per step would otherwise be a string per row.
            for (int i = 0; i < samples.Count; i++)
            {
                var s = samples[i];
                // Epoch metrics are logged at the epoch's last step and belong to that epoch.
                int epoch = s.Key is "epoch" ? (int)s.Value : _epoch;
                var row = _row.AsSpan();
                int n = 0;
                s.Key.AsSpan().CopyTo(row);
                n += s.Key.Length;
                row[n++] = ',';
                s.Step.TryFormat(row[n..], out int w, default, CultureInfo.InvariantCulture); n += w;
                row[n++] = ',';
                epoch.TryFormat(row[n..], out w, default, CultureInfo.InvariantCulture); n += w;
                row[n++] = ',';
                s.Value.TryFormat(row[n..], out w, "R", CultureInfo.InvariantCulture); n += w;
                row[n++] = ',';
                s.Time.TryFormat(row[n..], out w, "O", CultureInfo.InvariantCulture); n += w;
                _out.WriteLine(row[..n]);
            }
        }

        public void Dispose() => _out.Dispose();
    }
}
