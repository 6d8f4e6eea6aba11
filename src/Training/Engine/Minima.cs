using System.Runtime.InteropServices;
using Dashboard.Training.Models;
using Dashboard.Training.Native;
using Dashboard.Training.Specs;

namespace Dashboard.Training.Engine;

/// <summary>
/// The distance regulariser's stored minima: weights captured at chosen epochs or taken from other runs'
/// checkpoints. Each is kept as a flat float file in the checkpoint folder, so a resumed run keeps away from
/// the same points. Without loss_func.distance the minima are still stored (factor 0) to report the distance.
/// </summary>
public sealed class Minima(NativeModel model, LossSpec loss, Checkpoints? checkpoints)
{
    private readonly List<float[]> _minima = [];
    private readonly List<string> _files = [];
    private readonly List<LoadedMinimum> _loaded = [];

    public int Count => _minima.Count;
    public string[] Files => [.. _files];

    public void Capture(int epoch) => Add(model.CopyParameters(), MinimumReference.FileOf(epoch));

    /// <summary>
    /// Loads a loss_func.minima_from entry: another run's captured minimum (a .f32 file of the weights) or the weights
    /// of a checkpoint (.pt). Either must fit this model.
    /// </summary>
    public void AddFrom(ModelGraph graph, LoadedMinimum source)
    {
        var (path, reference) = (source.File, source.Reference);
        if (!File.Exists(path)) throw new FileNotFoundException($"loss_func.minima_from: '{reference}' has no file at {path}");
        float[] values;
        if (path.EndsWith(".f32", StringComparison.Ordinal))
        {
            values = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(path)).ToArray();
            if (values.Length != model.ParameterCount())
                throw new InvalidDataException($"loss_func.minima_from: '{reference}' holds {values.Length:N0} weights; this model has {model.ParameterCount():N0}: it was captured from another model");
        }
        else
        {
            using var other = NativeModel.Create(graph, "cpu", 0);
            try
            {
                other.LoadWeights(path);
            }
            catch (NativeException e)
            {
                throw new InvalidDataException($"loss_func.minima_from: '{reference}' ({path}) does not fit this model: {e.Message}", e);
            }
            values = other.CopyParameters();
        }
        var name = $"minimum-from-{_minima.Count + 1:D2}.f32";
        Add(values, name);
        _loaded.Add(source with { StoredAs = name });
    }

    /// <summary>The minima_from entries loaded, in order, as minima-loaded.json records them.</summary>
    public IReadOnlyList<LoadedMinimum> Loaded => _loaded;

    /// <summary>Writes minima-loaded.json in the run's folder (when it has one).</summary>
    public void RecordLoaded()
    {
        if (checkpoints is not null && _loaded.Count > 0) LoadedMinimum.Write(checkpoints.Directory, _loaded);
    }

    public void Restore(IEnumerable<string> files, string directory)
    {
        foreach (var name in files)
        {
            var values = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(directory, name))).ToArray();
            // Resumed into another folder (train --resume A --out B): B's checkpoints must find these files too.
            Add(values, name);
        }
    }

    /// <summary>Hands the minima to the shim: each weighted equally, or merged into their mean.</summary>
    public void Apply()
    {
        if (_minima.Count == 0) return;
        var used = loss.Merge ? [Mean(_minima)] : _minima;
        var kernel = loss.Kernel == "tanh" ? DistanceKernel.Tanh : DistanceKernel.Rbf;
        model.SetDistance(used, kernel, loss.Distance ? loss.Factor : 0, loss.Width);
    }

    private void Add(float[] values, string name)
    {
        _minima.Add(values);
        _files.Add(name);
        if (checkpoints is null || File.Exists(Path.Combine(checkpoints.Directory, name))) return;
        File.WriteAllBytes(Path.Combine(checkpoints.Directory, name), MemoryMarshal.AsBytes(values.AsSpan()));
    }

    private static float[] Mean(IReadOnlyList<float[]> all)
    {
        var mean = new float[all[0].Length];
        for (int j = 0; j < mean.Length; j++)
        {
            double sum = 0;
            foreach (var m in all) sum += m[j];
            mean[j] = (float)(sum / all.Count);
        }
        return mean;
    }
}
