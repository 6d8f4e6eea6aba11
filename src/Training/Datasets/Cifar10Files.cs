namespace Dashboard.Training.Datasets;

/// <summary>
/// CIFAR-10's "binary version": data_batch_1.bin .. data_batch_5.bin (train) and test_batch.bin (validation),
/// each a sequence of 3073-byte records: a label byte (0..9), then 32x32 red, 32x32 green and 32x32 blue bytes,
/// each plane row-major. Errors name the file.
/// </summary>
public static class Cifar10Files
{
    public const int Classes = 10;
    public const int Channels = 3;
    public const int Side = 32;
    public const int PixelsPerRecord = Channels * Side * Side; // 3072
    public const int RecordBytes = 1 + PixelsPerRecord;        // 3073

    /// <summary>The folder the CIFAR-10 tarball unpacks to, tried inside the given folder when the files are not directly in it.</summary>
    public const string Subfolder = "cifar-10-batches-bin";

    public static readonly IReadOnlyList<string> TrainFiles =
        ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"];

    public const string TestFile = "test_batch.bin";

    private static string Expected => string.Join(", ", TrainFiles.Append(TestFile));

    /// <summary>
    /// Reads the five training batches (in order) as the training set and test_batch.bin as the validation set,
    /// shape [N, 3, 32, 32], pixels scaled to [0, 1]. The files may be directly in <paramref name="folder"/> or in
    /// its subfolder cifar-10-batches-bin/. Batches may hold any number of records.
    /// A missing folder or file is a <see cref="FileNotFoundException"/>; a truncated file or a label above 9 is an
    /// <see cref="InvalidDataException"/>; both name the file.
    /// </summary>
    public static TrainingData Load(string folder)
    {
        var dir = Locate(folder);
        var train = Read(TrainFiles.Select(f => Path.Combine(dir, f)).ToArray());
        var validation = Read([Path.Combine(dir, TestFile)]);
        return new TrainingData(train, validation, Classes);
    }

    private static readonly string[] All = [.. TrainFiles, TestFile];

    /// <summary>The folder the files are read from: the first of the folder and its subfolder holding any of them.</summary>
    private static string? Candidate(string folder) =>
        new[] { folder, Path.Combine(folder, Subfolder) }.FirstOrDefault(dir => All.Any(f => File.Exists(Path.Combine(dir, f))));

    /// <summary>The batch files <see cref="Load"/> would not find (all of them when neither folder holds any).</summary>
    public static IReadOnlyList<string> Missing(string folder) => Candidate(folder) is { } dir ? MissingIn(dir) : All;

    private static string[] MissingIn(string dir) => [.. All.Where(f => !File.Exists(Path.Combine(dir, f)))];

    private static string Locate(string folder)
    {
        // The first candidate holding any of the files is the one meant; a file missing there is named.
        if (Candidate(folder) is { } dir)
        {
            var missing = MissingIn(dir);
            if (missing.Length > 0)
                throw new FileNotFoundException(
                    $"{Path.Combine(dir, missing[0])} not found (CIFAR-10 binary version expects {Expected}; missing: {string.Join(", ", missing)})",
                    Path.Combine(dir, missing[0]));
            return dir;
        }
        var what = Directory.Exists(folder) ? "holds no CIFAR-10 batch files" : "not found";
        throw new FileNotFoundException(
            $"CIFAR-10 folder {folder} {what}: expected {Expected} in it or in its subfolder {Subfolder}/");
    }

    private static TensorData Read(string[] paths)
    {
        // Sizes first, so that a truncated file fails before anything is allocated, and the arrays are allocated once.
        long total = 0;
        var counts = new int[paths.Length];
        for (int f = 0; f < paths.Length; f++)
        {
            long length = new FileInfo(paths[f]).Length;
            if (length == 0) throw new InvalidDataException($"{paths[f]}: empty");
            if (length % RecordBytes != 0)
                throw new InvalidDataException(
                    $"{paths[f]}: truncated ({length} bytes is not a whole number of {RecordBytes}-byte records)");
            counts[f] = checked((int)(length / RecordBytes));
            total += counts[f];
        }
        if (total * PixelsPerRecord > Array.MaxLength)
            throw new InvalidDataException($"{string.Join(", ", paths)}: {total} records are more than one array can hold");

        var x = new float[total * PixelsPerRecord];
        var y = new long[total];
        var scale = new float[256];
        for (int b = 0; b < 256; b++) scale[b] = b / 255f;

        const int chunkRecords = 1000;
        var buffer = new byte[chunkRecords * RecordBytes];
        long record = 0;
        for (int f = 0; f < paths.Length; f++)
        {
            var path = paths[f];
            try
            {
                using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
                for (int done = 0; done < counts[f];)
                {
                    int n = Math.Min(chunkRecords, counts[f] - done);
                    s.ReadExactly(buffer, 0, n * RecordBytes);
                    for (int r = 0; r < n; r++)
                    {
                        int at = r * RecordBytes;
                        byte label = buffer[at];
                        if (label >= Classes)
                            throw new InvalidDataException(
                                $"{path}: corrupt (record {done + r} has label {label}, expected 0..{Classes - 1})");
                        y[record] = label;
                        long o = record * PixelsPerRecord;
                        for (int p = 0; p < PixelsPerRecord; p++) x[o + p] = scale[buffer[at + 1 + p]];
                        record++;
                    }
                    done += n;
                }
            }
            catch (EndOfStreamException)
            {
                throw new InvalidDataException($"{path}: truncated");
            }
        }
        return new TensorData(x, [total, Channels, Side, Side], y);
    }
}
