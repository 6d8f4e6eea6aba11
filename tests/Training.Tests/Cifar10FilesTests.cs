using Dashboard.Training.Datasets;

namespace Dashboard.Training.Tests;

public sealed class Cifar10FilesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cifar").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly string[] TrainNames =
        ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"];

    // One record: the label, then red, green and blue planes of 32x32, each row-major; every pixel 0 but those set.
    private static byte[] Record(byte label, params (int Channel, int Row, int Col, byte Value)[] pixels)
    {
        var r = new byte[3073];
        r[0] = label;
        foreach (var (c, row, col, v) in pixels) r[1 + c * 1024 + row * 32 + col] = v;
        return r;
    }

    private static byte[] Batch(params byte[][] records) => records.SelectMany(r => r).ToArray();

    // Batch f (0..4 train, 5 test) holds `perFile` records labelled (f + k) % 10, with record k's red (0, 1) set to 10 * f + k.
    private void WriteAll(string dir, int perFile = 3)
    {
        Directory.CreateDirectory(dir);
        var names = TrainNames.Append("test_batch.bin").ToArray();
        for (int f = 0; f < names.Length; f++)
            File.WriteAllBytes(Path.Combine(dir, names[f]), Batch(Enumerable.Range(0, perFile)
                .Select(k => Record((byte)((f + k) % 10), (0, 0, 1, (byte)(10 * f + k)))).ToArray()));
    }

    [Fact]
    public void Reads_five_train_batches_and_the_test_batch()
    {
        WriteAll(_dir);

        var data = Cifar10Files.Load(_dir);

        Assert.Equal(10, data.Classes);
        Assert.Equal([15L, 3, 32, 32], data.Train.Shape);
        Assert.Equal(15 * 3072, data.Train.Inputs.Length);
        Assert.Equal([3L, 3, 32, 32], data.Validation.Shape);
        Assert.Equal([0L, 1, 2, 1, 2, 3, 2, 3, 4, 3, 4, 5, 4, 5, 6], data.Train.Labels);
        Assert.Equal([5L, 6, 7], data.Validation.Labels);
        // Train sample 7 is batch 3's second record: red (0, 1) = 21; test sample 2: 52.
        Assert.Equal(21 / 255f, data.Train.Inputs[7 * 3072 + 1], 6);
        Assert.Equal(52 / 255f, data.Validation.Inputs[2 * 3072 + 1], 6);
        Assert.Equal(0f, data.Train.Inputs[7 * 3072]);
    }

    [Fact]
    public void Pixels_land_at_channel_row_column()
    {
        WriteAll(_dir);
        File.WriteAllBytes(Path.Combine(_dir, "data_batch_2.bin"), Batch(
            Record(4, (0, 0, 1, 255)),
            Record(5, (1, 2, 3, 51), (2, 31, 31, 102), (0, 31, 0, 204))));

        var train = Cifar10Files.Load(_dir).Train;

        Assert.Equal([3L + 2 + 9, 3, 32, 32], train.Shape);
        Assert.Equal([4L, 5], train.Labels[3..5]);
        float At(int i, int c, int row, int col) => train.Inputs[((i * 3 + c) * 32 + row) * 32 + col];
        Assert.Equal(1f, At(3, 0, 0, 1)); // a red pixel at (row 0, col 1) ends at [i, 0, 0, 1]
        Assert.Equal(0f, At(3, 1, 0, 1));
        Assert.Equal(0.2f, At(4, 1, 2, 3), 6);
        Assert.Equal(0.4f, At(4, 2, 31, 31), 6);
        Assert.Equal(0.8f, At(4, 0, 31, 0), 6);
        Assert.Equal(255 + 51 + 102 + 204, train.Inputs.Skip(3 * 3072).Take(2 * 3072).Sum(v => MathF.Round(v * 255)));
    }

    [Fact]
    public void Accepts_the_tarballs_subfolder()
    {
        WriteAll(Path.Combine(_dir, "cifar-10-batches-bin"), perFile: 1);
        var data = Cifar10Files.Load(_dir);
        Assert.Equal(5, data.Train.Count);
        Assert.Equal(1, data.Validation.Count);
    }

    [Fact]
    public void A_missing_folder_says_which_files_are_expected()
    {
        var e = Assert.Throws<FileNotFoundException>(() => Cifar10Files.Load(Path.Combine(_dir, "nowhere")));
        Assert.Contains("nowhere", e.Message);
        Assert.Contains("data_batch_1.bin", e.Message);
        Assert.Contains("test_batch.bin", e.Message);
        Assert.Contains("cifar-10-batches-bin", e.Message);

        var empty = Assert.Throws<FileNotFoundException>(() => Cifar10Files.Load(_dir));
        Assert.Contains("data_batch_5.bin", empty.Message);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        WriteAll(_dir);
        File.Delete(Path.Combine(_dir, "data_batch_3.bin"));
        var e = Assert.Throws<FileNotFoundException>(() => Cifar10Files.Load(_dir));
        Assert.Contains(Path.Combine(_dir, "data_batch_3.bin"), e.Message);
        Assert.Equal(Path.Combine(_dir, "data_batch_3.bin"), e.FileName);
    }

    [Fact]
    public void A_truncated_file_is_named()
    {
        WriteAll(_dir);
        File.WriteAllBytes(Path.Combine(_dir, "test_batch.bin"), Batch(Record(1), Record(2))[..5000]);
        var e = Assert.Throws<InvalidDataException>(() => Cifar10Files.Load(_dir));
        Assert.Contains(Path.Combine(_dir, "test_batch.bin"), e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void An_empty_file_is_an_error()
    {
        WriteAll(_dir);
        File.WriteAllBytes(Path.Combine(_dir, "data_batch_4.bin"), []);
        var e = Assert.Throws<InvalidDataException>(() => Cifar10Files.Load(_dir));
        Assert.Contains("data_batch_4.bin", e.Message);
    }

    [Fact]
    public void A_label_above_nine_is_corrupt_and_names_the_record()
    {
        WriteAll(_dir);
        File.WriteAllBytes(Path.Combine(_dir, "data_batch_2.bin"), Batch(Record(3), Record(10), Record(4)));
        var e = Assert.Throws<InvalidDataException>(() => Cifar10Files.Load(_dir));
        Assert.Contains(Path.Combine(_dir, "data_batch_2.bin"), e.Message);
        Assert.Contains("corrupt", e.Message);
        Assert.Contains("record 1", e.Message);
        Assert.Contains("label 10", e.Message);
    }
}
