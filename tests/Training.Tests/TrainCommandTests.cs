using System.Globalization;
using System.Text.Json;

namespace Dashboard.Training.Tests;

[CollectionDefinition("console", DisableParallelization = true)]
public class ConsoleCollection;

[Collection("console")]
public sealed class TrainCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dn-cli-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (int Code, string Out, string Err) Run(params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try { return (TrainCommand.Run(args), stdout.ToString(), stderr.ToString()); }
        finally { Console.SetOut(oldOut); Console.SetError(oldErr); }
    }

    [Fact]
    public void Train_prints_progress_and_a_final_json_line_and_writes_metrics_and_checkpoints()
    {
        var spec = Path.Combine(_dir, "spec.json");
        File.WriteAllText(spec, """
            { "name": "cli", "dataset": { "name": "hyperspheres", "n": 600, "p": 16, "d": 3, "classes": 2, "noise": 0.5 },
              "model": { "name": "mlp", "layer_size": [16] }, "optimizer": { "name": "adam", "lr": 0.01 },
              "batch_size": 60, "max_epochs": 3, "checkpoint": { "every": 1, "keep_best": "val_ap" } }
            """);
        var outDir = Path.Combine(_dir, "out");

        var (code, stdout, stderr) = Run(spec, "--out", outDir, "--device", "cpu");

        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("epoch 1/3 (33%)"));
        Assert.Contains(lines, l => l.StartsWith("epoch 3/3 (100%)"));
        var final = JsonDocument.Parse(lines[^1]).RootElement;
        foreach (var key in new[] { "val_loss", "val_accuracy", "val_ap", "train_loss", "samples_per_s", "params", "flops_per_sample", "epochs" })
            Assert.True(final.GetProperty(key).GetDouble() > 0, key);
        Assert.Equal("completed", final.GetProperty("status").GetString());
        Assert.Equal(16 * 16 + 16 + 16 * 2 + 2, final.GetProperty("params").GetDouble());
        Assert.Equal(3, final.GetProperty("epochs").GetDouble());

        var csv = File.ReadAllLines(Path.Combine(outDir, "metrics.csv"));
        Assert.Equal("key,step,epoch,value,time", csv[0]);
        var rows = csv.Skip(1).Select(l => l.Split(',')).ToList();
        var loss = rows.Where(r => r[0] == "loss").ToList();
        Assert.Equal(3 * 480 / 60, loss.Count);
        Assert.Equal(["1", "2", "3"], loss.Select(r => r[2]).Distinct());
        Assert.Equal(3, rows.Count(r => r[0] == "val_ap"));
        Assert.All(rows, r => DateTime.Parse(r[4], CultureInfo.InvariantCulture));
        Assert.True(File.Exists(Path.Combine(outDir, "checkpoints", "epoch-0003.pt")));
        Assert.True(File.Exists(Path.Combine(outDir, "checkpoints", "best.pt")));
    }

    [Fact]
    public void A_bad_spec_is_reported_per_field_and_nothing_trains()
    {
        var spec = Path.Combine(_dir, "bad.json");
        File.WriteAllText(spec, """{ "dataset": "cifar10", "model": { "name": "resnet18", "stem": "tiny" }, "num_gpu": 2 }""");

        var (code, stdout, stderr) = Run(spec, "--out", Path.Combine(_dir, "out"));

        Assert.Equal(2, code);
        Assert.Contains("model.stem: unknown stem 'tiny'", stderr);
        Assert.Contains("num_gpu: data parallel training over several GPUs needs device cuda:N", stderr);
        Assert.False(Directory.Exists(Path.Combine(_dir, "out")));
        Assert.Equal("", stdout);
    }

    [Fact]
    public void A_missing_dataset_folder_is_a_clear_error()
    {
        var spec = Path.Combine(_dir, "mnist.json");
        File.WriteAllText(spec, """{ "dataset": "mnist", "model": "mlp", "max_epochs": 1 }""");

        var (code, _, stderr) = Run(spec, "--data-dir", Path.Combine(_dir, "no-such-folder"));

        Assert.Equal(1, code);
        Assert.Contains("no-such-folder", stderr);
        Assert.Contains("train-images-idx3-ubyte", stderr);
    }

    [Fact]
    public void Train_keeps_away_from_a_captured_minimum_given_as_its_file_and_answers_a_run_reference_clearly()
    {
        string Spec(string loss) => $$"""
            { "name": "cli", "dataset": { "name": "hyperspheres", "n": 300, "p": 8, "d": 2 }, "model": { "name": "mlp", "layer_size": [8] },
              "loss_func": {{loss}}, "batch_size": 40, "max_epochs": 2 }
            """;
        var first = Path.Combine(_dir, "first.json");
        File.WriteAllText(first, Spec("""{ "capture_epochs": [1] }"""));
        var (code, _, stderr) = Run(first, "--out", Path.Combine(_dir, "first"));
        Assert.True(code == 0, stderr);
        var minimum = Path.Combine(_dir, "first", "checkpoints", "minimum-epoch-0001.f32");
        Assert.True(File.Exists(minimum));

        var second = Path.Combine(_dir, "second.json");
        File.WriteAllText(second, Spec($$"""{ "distance": true, "factor": 0.1, "minima_from": [{{JsonSerializer.Serialize(minimum)}}] }"""));
        (code, var stdout, stderr) = Run(second, "--out", Path.Combine(_dir, "second"));
        Assert.True(code == 0, stderr);
        Assert.Contains($"loaded the minimum {minimum} to keep away from", stdout);
        var loaded = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "second", "checkpoints", "minima-loaded.json"))).RootElement;
        Assert.Equal(minimum, loaded[0].GetProperty("file").GetString());
        Assert.Equal("minimum-from-01.f32", loaded[0].GetProperty("stored_as").GetString());

        var byName = Path.Combine(_dir, "by-name.json");
        File.WriteAllText(byName, Spec("""{ "distance": true, "minima_from": ["cli/00001@epoch-1"] }"""));
        (code, _, stderr) = Run(byName);
        Assert.Equal(1, code);
        Assert.Contains("error: loss_func.minima_from: cli/00001@epoch-1 names a run's captured minimum, which only the dashboard's worker can find", stderr);

        File.WriteAllText(byName, Spec("""{ "distance": true, "minima_from": ["cli/00001@epoch-one"] }"""));
        (code, _, stderr) = Run(byName);
        Assert.Equal(2, code);
        Assert.Contains("by-name.json: loss_func.minima_from: 'cli/00001@epoch-one': a captured minimum is named project/NNNNN@epoch-N", stderr);
    }
}
