using Dashboard.Training.Specs;

namespace Dashboard.Training.Datasets;

public static class DatasetLoader
{
    /// <summary>The shape of one sample, known from the spec alone (the run page draws the model without loading data).</summary>
    public static long[] InputShapeOf(DatasetSpec spec) => spec.Name switch
    {
        "hyperspheres" => [spec.P],
        "mnist" or "fashion_mnist" => [1, 28, 28],
        "cifar10" => [3, 32, 32],
        _ => throw new ArgumentException($"unknown dataset '{spec.Name}'"),
    };

    public static int ClassesOf(DatasetSpec spec) => spec.Name == "hyperspheres" ? spec.Classes : 10;

    /// <summary>Samples of the training and validation splits before any subset (hyperspheres: n split by val_fraction as
    /// <see cref="Hyperspheres"/> splits it; the image sets: their standard train and test files).</summary>
    public static (int Train, int Validation) SamplesOf(DatasetSpec spec)
    {
        switch (spec.Name)
        {
            case "hyperspheres":
                int validation = Math.Clamp((int)Math.Round(spec.N * spec.ValFraction), 1, Math.Max(1, spec.N - 1));
                return (spec.N - validation, validation);
            case "mnist" or "fashion_mnist": return (60_000, 10_000);
            case "cifar10": return (50_000, 10_000);
            default: throw new ArgumentException($"unknown dataset '{spec.Name}'");
        }
    }

    /// <summary>Whether <see cref="Load"/> gives other data for another seed: hyperspheres are drawn from it, and a
    /// subset's training split (which the normalisation is taken from) is.</summary>
    public static bool UsesSeed(DatasetSpec spec) => spec.Name == "hyperspheres" || spec.Size is not null;

    public static TrainingData Load(DatasetSpec spec, long seed, TrainingOptions options)
    {
        var data = spec.Name switch
        {
            "hyperspheres" => Hyperspheres.Generate(spec.N, spec.P, spec.D, spec.Classes, spec.Noise, spec.ValFraction, seed),
            "fashion_mnist" => Idx(spec.Folder ?? options.FashionMnistDir),
            "mnist" => Idx(spec.Folder ?? options.MnistDir),
            "cifar10" => Cifar10Files.Load(spec.Folder ?? options.Cifar10Dir),
            _ => throw new ArgumentException($"unknown dataset '{spec.Name}'"),
        };
        // The subset is drawn from the training split only; validation stays whole so that runs of different
        // sizes are scored on the same samples.
        if (spec.Size is { } size && size < data.Train.Count)
            data = data with { Train = Subsets.Stratified(data.Train, size, data.Classes, seed) };
        if (spec.Normalize)
        {
            var (mean, std) = Normalisation.PerChannel(data.Train);
            Normalisation.Apply(data.Train, mean, std);
            Normalisation.Apply(data.Validation, mean, std);
            data = data with { Black = [.. mean.Select((m, c) => (float)(-m / (std[c] > 0 ? std[c] : 1)))] };
        }
        return data;
    }

    // The standard train/test split: test is the validation set, as in the notebooks.
    private static TrainingData Idx(string folder) =>
        new(IdxFiles.Load(folder, "train"), IdxFiles.Load(folder, "t10k"), Classes: 10);
}
