using System.IO.Compression;
using Dashboard.Training.Datasets;

namespace Dashboard.Training.Tests;

public sealed class IdxFilesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("idx").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] Idx(byte dims, int[] shape, byte[] data)
    {
        var header = new List<byte> { 0, 0, 8, dims };
        foreach (var s in shape) header.AddRange(BitConverter.GetBytes(s).Reverse());
        return [.. header, .. data];
    }

    private void Write(string name, byte[] bytes, bool gzip)
    {
        if (!gzip) { File.WriteAllBytes(Path.Combine(_dir, name), bytes); return; }
        using var f = File.Create(Path.Combine(_dir, name + ".gz"));
        using var z = new GZipStream(f, CompressionLevel.Fastest);
        z.Write(bytes);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reads_images_and_labels_plain_or_gzipped(bool gzip)
    {
        var pixels = Enumerable.Range(0, 3 * 2 * 2).Select(i => (byte)(i * 20)).ToArray();
        Write("train-images-idx3-ubyte", Idx(3, [3, 2, 2], pixels), gzip);
        Write("train-labels-idx1-ubyte", Idx(1, [3], [7, 0, 9]), gzip);

        var data = IdxFiles.Load(_dir, "train");

        Assert.Equal([3L, 1, 2, 2], data.Shape);
        Assert.Equal([7L, 0, 9], data.Labels);
        Assert.Equal(20 / 255f, data.Inputs[1], 6);
        Assert.Equal(220 / 255f, data.Inputs[11], 6);
    }

    [Fact]
    public void A_truncated_file_is_an_error_naming_it()
    {
        Write("train-images-idx3-ubyte", Idx(3, [3, 2, 2], new byte[5]), gzip: true);
        Write("train-labels-idx1-ubyte", Idx(1, [3], [1, 2, 3]), gzip: true);
        var e = Assert.Throws<InvalidDataException>(() => IdxFiles.Load(_dir, "train"));
        Assert.Contains("train-images-idx3-ubyte.gz", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void A_corrupt_or_missing_file_is_an_error_naming_it()
    {
        File.WriteAllBytes(Path.Combine(_dir, "train-images-idx3-ubyte"), [1, 2, 3, 4, 5, 6, 7, 8]);
        Write("train-labels-idx1-ubyte", Idx(1, [1], [1]), gzip: false);
        var corrupt = Assert.Throws<InvalidDataException>(() => IdxFiles.Load(_dir, "train"));
        Assert.Contains("train-images-idx3-ubyte: not an IDX file", corrupt.Message);

        var missing = Assert.Throws<FileNotFoundException>(() => IdxFiles.Load(_dir, "t10k"));
        Assert.Contains("t10k-images-idx3-ubyte", missing.Message);
    }

    [Fact]
    public void Image_and_label_counts_must_agree()
    {
        Write("train-images-idx3-ubyte", Idx(3, [2, 1, 1], [1, 2]), gzip: false);
        Write("train-labels-idx1-ubyte", Idx(1, [3], [1, 2, 3]), gzip: false);
        var e = Assert.Throws<InvalidDataException>(() => IdxFiles.Load(_dir, "train"));
        Assert.Contains("holds 2 images but", e.Message);
    }
}
