using System.Globalization;
using System.Text.Json;
using Dashboard.Training.Datasets;
using Dashboard.Training.Models;
using Dashboard.Training.Native;
using Dashboard.Training.Specs;

namespace Dashboard.Training.Engine;

/// <summary>A run to evaluate in an ensemble: its name (for reasons), the spec it trained and the checkpoint to read.</summary>
public sealed record EnsembleInput(string Name, ExperimentSpec Spec, string Checkpoint);

/// <summary>Accuracy, loss (mean negative log probability of the true class) and macro AP on the validation set.</summary>
public sealed record EnsembleFigures(double Accuracy, double Loss, double Ap);

public sealed record EnsembleResult(EnsembleFigures Ensemble, IReadOnlyList<EnsembleFigures> Members, int Samples, int Classes);

/// <summary>Why runs cannot be evaluated together, naming the run; the ensemble fails with this as its reason.</summary>
public sealed class EnsembleRefusedException(string message) : Exception(message);

/// <summary>
/// An ensemble's evaluation through the native shim: each member's checkpoint is loaded into its own model, the
/// validation set run through it, and the members' softmax probabilities averaged. Each member's figures and the
/// ensemble's are computed here from the probabilities alike (not the member's cross-entropy on logits), so that an
/// ensemble of one checkpoint twice scores exactly as that checkpoint.
/// </summary>
public static class EnsembleEvaluation
{
    public const int MinMembers = 2;

    /// <summary>A probability below this counts as this in the loss: float32 softmax rounds a hopeless true class to 0,
    /// whose log would make the loss infinite for one sample.</summary>
    public const double MinProbability = 1e-12;

    /// <summary>
    /// Why <paramref name="b"/> (named <paramref name="bName"/>) is not scored on the same validation set as
    /// <paramref name="a"/>, from their specs alone; null when it is. The samples themselves are compared again when loaded.
    /// </summary>
    public static string? ValidationMismatch(string aName, ExperimentSpec a, string bName, ExperimentSpec b)
    {
        DatasetSpec da = a.Dataset!, db = b.Dataset!;
        if (da.Name != db.Name) return $"{bName} trains on {db.Name} and {aName} on {da.Name}: an ensemble's runs must share their validation set";
        if (da.Folder != db.Folder) return $"{bName} reads {db.Name} from {db.Folder ?? "the configured folder"} and {aName} from {da.Folder ?? "the configured folder"}: an ensemble's runs must share their validation set";
        if (da.Name != "hyperspheres") return null;
        string Sphere(DatasetSpec d) => string.Create(CultureInfo.InvariantCulture, $"n={d.N}, p={d.P}, d={d.D}, classes={d.Classes}, noise={d.Noise}, val_fraction={d.ValFraction}");
        if (Sphere(da) != Sphere(db)) return $"{bName}'s hyperspheres ({Sphere(db)}) are not {aName}'s ({Sphere(da)}): an ensemble's runs must share their validation set";
        if (a.Seed != b.Seed)
            return $"{bName} has seed {b.Seed} and {aName} seed {a.Seed}: hyperspheres are generated from the run's seed, so their validation sets differ";
        return null;
    }

    /// <param name="load">A member's data as it trained on it (its own normalisation, from its own training split).</param>
    /// <param name="deviceOf">The device to evaluate a member on.</param>
    /// <param name="evaluated">Called with the number of members evaluated so far.</param>
    public static EnsembleResult Evaluate(IReadOnlyList<EnsembleInput> members, Func<ExperimentSpec, TrainingData> load,
        Func<ExperimentSpec, string> deviceOf, Action<int>? evaluated, CancellationToken ct)
    {
        if (members.Count < MinMembers) throw new EnsembleRefusedException($"an ensemble needs at least {MinMembers} runs, got {members.Count}");
        foreach (var m in members.Skip(1))
            if (ValidationMismatch(members[0].Name, members[0].Spec, m.Name, m.Spec) is { } why) throw new EnsembleRefusedException(why);
        foreach (var m in members)
            if (!File.Exists(m.Checkpoint))
                throw new EnsembleRefusedException($"{m.Name} has no checkpoint {Path.GetFileName(m.Checkpoint)} in {Path.GetDirectoryName(m.Checkpoint)}");

        // Members of one sweep mostly share their data: loaded again only when a member's differs from the one before
        // (another dataset, or a seed that changes it), and only the latest validation split kept.
        (string Key, TensorData Validation, int Classes)? loaded = null;
        long[]? labels = null;
        int classes = 0;
        double[]? sum = null;
        var figures = new List<EnsembleFigures>();
        for (int i = 0; i < members.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            var (name, spec, checkpoint) = members[i];
            var key = JsonSerializer.Serialize(spec.Dataset, SpecJson.Options)
                + (DatasetLoader.UsesSeed(spec.Dataset!) ? "|" + spec.Seed.ToString(CultureInfo.InvariantCulture) : "");
            if (loaded?.Key != key)
            {
                var all = load(spec);
                loaded = (key, all.Validation, all.Classes);
            }
            var data = loaded.Value;
            if (labels is null)
            {
                labels = data.Validation.Labels;
                classes = data.Classes;
                sum = new double[labels.Length * classes];
            }
            else if (data.Classes != classes)
                throw new EnsembleRefusedException($"{name} has {data.Classes} classes and {members[0].Name} {classes}: an ensemble's runs must score the same classes");
            else if (!data.Validation.Labels.AsSpan().SequenceEqual(labels))
                throw new EnsembleRefusedException($"{name}'s validation samples are not {members[0].Name}'s: an ensemble's runs must share their validation set");

            var probabilities = Probabilities(name, spec, checkpoint, data.Validation, classes, deviceOf(spec));
            var asDouble = Array.ConvertAll(probabilities, p => (double)p);
            figures.Add(Score(asDouble, labels, classes));
            for (int j = 0; j < asDouble.Length; j++) sum![j] += asDouble[j];
            evaluated?.Invoke(i + 1);
        }
        for (int j = 0; j < sum!.Length; j++) sum[j] /= members.Count;
        return new EnsembleResult(Score(sum, labels!, classes), figures, labels!.Length, classes);
    }

    /// <summary>Softmax probabilities [N, classes] of a checkpoint's model on the validation samples.</summary>
    private static float[] Probabilities(string name, ExperimentSpec spec, string checkpoint, TensorData validation, int classes, string device)
    {
        var graph = ModelFactory.Build(spec.Model!, validation.Shape[1..], classes);
        using var model = NativeModel.Create(graph, device, unchecked((ulong)spec.Seed));
        // Its own precision where it trained (bf16 scores as it was validated); TF32 exists on CUDA only.
        var precision = Enum.Parse<Precision>(spec.Precision, ignoreCase: true);
        if (precision == Precision.Tf32 && !device.StartsWith("cuda", StringComparison.Ordinal)) precision = Precision.Fp32;
        model.SetPrecision(precision, cudnnBenchmark: false);
        try { model.LoadWeights(checkpoint); }
        catch (NativeException e) { throw new EnsembleRefusedException($"{name}'s checkpoint {Path.GetFileName(checkpoint)} does not fit its model: {e.Message}"); }
        // libtorch's load takes a stored tensor of another shape as it is: a narrower layer's weights would run.
        if (model.ParameterCount() != graph.ParameterCount)
            throw new EnsembleRefusedException($"{name}'s checkpoint {Path.GetFileName(checkpoint)} does not fit its model: " +
                $"it holds {model.ParameterCount():N0} parameters, the model {graph.ParameterCount:N0}");
        using var data = DeviceDataset.Create(validation.Inputs, validation.Shape, validation.Labels, device);
        // As the trainer validates: smaller batches for images, whose activations are larger.
        long batch = validation.Shape.Length == 4 ? 500 : 1024;
        return model.EvaluateWithScores(data, batch, classes).Scores;
    }

    /// <summary>Accuracy (the most probable class, the first of ties), loss and macro AP of probabilities [N, classes].</summary>
    public static EnsembleFigures Score(double[] probabilities, long[] labels, int classes)
    {
        int n = labels.Length;
        long correct = 0;
        double nll = 0;
        for (int i = 0; i < n; i++)
        {
            int best = 0;
            for (int c = 1; c < classes; c++)
                if (probabilities[(long)i * classes + c] > probabilities[(long)i * classes + best]) best = c;
            if (best == labels[i]) correct++;
            nll -= Math.Log(Math.Max(probabilities[(long)i * classes + labels[i]], MinProbability));
        }
        var ap = AveragePrecision.Macro(Array.ConvertAll(probabilities, p => (float)p), labels, classes);
        return new EnsembleFigures((double)correct / n, nll / n, ap);
    }
}
