using Dashboard.Training.Specs;

namespace Dashboard.Training.Datasets;

public static class DatasetLoader
{
    public static TrainingData Load(DatasetSpec spec, long seed, TrainingOptions options) => spec.Name switch
    {
        "hyperspheres" => Hyperspheres.Generate(spec.N, spec.P, spec.D, spec.Classes, spec.Noise, spec.ValFraction, seed),
        "fashion_mnist" => Idx(spec.Folder ?? options.FashionMnistDir),
        "mnist" => Idx(spec.Folder ?? options.MnistDir),
        _ => throw new ArgumentException($"unknown dataset '{spec.Name}'"),
    };

    // The standard train/test split: test is the validation set, as in the notebooks.
    private static TrainingData Idx(string folder) =>
        new(IdxFiles.Load(folder, "train"), IdxFiles.Load(folder, "t10k"), Classes: 10);
}
