using System.Buffers.Binary;
using System.IO.Compression;

namespace Dashboard.Training.Datasets;

/// <summary>MNIST's IDX format (and Fashion-MNIST's), plain or gzipped; errors name the file.</summary>
public static class IdxFiles
{
    /// <summary>Reads {prefix}-images-idx3-ubyte[.gz] and {prefix}-labels-idx1-ubyte[.gz], pixels scaled to [0, 1].</summary>
    public static TensorData Load(string folder, string prefix)
    {
        var images = Read(Find(folder, $"{prefix}-images-idx3-ubyte"), expectedDims: 3);
        var labels = Read(Find(folder, $"{prefix}-labels-idx1-ubyte"), expectedDims: 1);
        if (images.Dims[0] != labels.Dims[0])
            throw new InvalidDataException($"{images.File} holds {images.Dims[0]} images but {labels.File} holds {labels.Dims[0]} labels");
        var x = new float[images.Bytes.Length];
        for (int i = 0; i < x.Length; i++) x[i] = images.Bytes[i] / 255f;
        var y = labels.Bytes.Select(b => (long)b).ToArray();
        return new TensorData(x, [images.Dims[0], 1, images.Dims[1], images.Dims[2]], y);
    }

    /// <summary>The four files of a train/test pair, as <see cref="Load"/> looks for them (each plain or .gz).</summary>
    public static readonly IReadOnlyList<string> Names =
        ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    /// <summary>Whether <see cref="Load"/> would find <paramref name="name"/> in <paramref name="folder"/>.</summary>
    public static bool Has(string folder, string name) =>
        File.Exists(Path.Combine(folder, name)) || File.Exists(Path.Combine(folder, name + ".gz"));

    private static string Find(string folder, string name)
    {
        foreach (var candidate in new[] { name + ".gz", name })
        {
            var path = Path.Combine(folder, candidate);
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException($"{Path.Combine(folder, name)}[.gz] not found");
    }

    private sealed record Idx(string File, int[] Dims, byte[] Bytes);

    private static Idx Read(string path, int expectedDims)
    {
        try
        {
            using var file = File.OpenRead(path);
            using Stream s = path.EndsWith(".gz") ? new GZipStream(file, CompressionMode.Decompress) : file;
            var header = new byte[4];
            s.ReadExactly(header);
            if (header[0] != 0 || header[1] != 0 || header[2] != 0x08)
                throw new InvalidDataException($"{path}: not an IDX file of unsigned bytes");
            if (header[3] != expectedDims)
                throw new InvalidDataException($"{path}: has {header[3]} dimensions, expected {expectedDims}");
            var dims = new int[expectedDims];
            var buf = new byte[4];
            for (int i = 0; i < expectedDims; i++)
            {
                s.ReadExactly(buf);
                dims[i] = BinaryPrimitives.ReadInt32BigEndian(buf);
                if (dims[i] <= 0) throw new InvalidDataException($"{path}: dimension {i} is {dims[i]}");
            }
            var data = new byte[dims.Aggregate(1L, (a, b) => a * b)];
            s.ReadExactly(data);
            return new Idx(path, dims, data);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"{path}: truncated");
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(path))
        {
            throw new InvalidDataException($"{path}: corrupt ({e.Message})");
        }
    }
}
