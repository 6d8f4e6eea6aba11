using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace Dashboard.Training.Datasets;

/// <summary>How far the download of one file has got; <see cref="Total"/> is null when the server does not say.</summary>
public sealed record FetchProgress(string File, int Index, int Files, long Bytes, long? Total)
{
    public int? Percent => Total is long t && t > 0 ? (int)(100 * Bytes / t) : null;
    public string Describe() => (Percent is { } p ? $"{p}% ({Mb(Bytes)} of {Mb(Total!.Value)} MB)" : $"{Mb(Bytes)} MB");
    public static string Mb(long bytes) => (bytes / 1e6).ToString("0.0#", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>A dataset that could not be fetched: every mirror's reason, and where to put the files by hand.</summary>
public sealed class DatasetFetchException(string message) : Exception(message);

/// <summary>
/// Downloads MNIST's idx .gz files or CIFAR-10's binary tarball from their mirrors into the folder the loader reads,
/// each written to a .part file, checked against its MD5 and only then renamed, so that a cut download or a bad copy
/// never sits where the loader looks. A file already there with the right MD5 is not fetched again. MNIST stays
/// gzipped (the loader reads .gz); CIFAR-10 is unpacked into cifar-10-batches-bin/ and its tarball removed.
/// </summary>
public sealed class DatasetFetcher(DatasetFetchOptions options) : IDisposable
{
    /// <summary>The datasets this can fetch; fashion_mnist comes from Debian's dataset-fashion-mnist package.</summary>
    public static readonly IReadOnlyList<string> Datasets = ["mnist", "cifar10"];

    public const string Cifar10Archive = "cifar-10-binary.tar.gz";

    private readonly DatasetFetchOptions _options = options;

    // The stall timeout is ours (per read), so the client's own whole-request timeout is off: a large file on a slow
    // line may take longer than any fixed limit while still making progress.
    private readonly HttpClient _http = new(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(Math.Max(1, options.StallSeconds)) })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>The folder the loader reads <paramref name="dataset"/> from.</summary>
    public static string FolderOf(string dataset, TrainingOptions training) => dataset switch
    {
        "mnist" => training.MnistDir,
        "cifar10" => training.Cifar10Dir,
        _ => throw new ArgumentException($"unknown dataset '{dataset}': {Choices}"),
    };

    public static string Choices => $"one of {string.Join(", ", Datasets)} (fashion_mnist comes from Debian's package dataset-fashion-mnist)";

    /// <summary>The files fetched for <paramref name="dataset"/>, as its mirrors name them.</summary>
    public static IReadOnlyList<string> FilesOf(string dataset) => dataset == "cifar10" ? [Cifar10Archive] : [.. IdxFiles.Names.Select(n => n + ".gz")];

    /// <summary>Whether the loader would find every file of <paramref name="dataset"/> in <paramref name="folder"/>.</summary>
    public static bool IsPresent(string dataset, string folder) => dataset == "cifar10"
        ? Cifar10Files.Missing(folder).Count == 0
        : IdxFiles.Names.All(n => IdxFiles.Has(folder, n));

    /// <summary>
    /// Fetches <paramref name="dataset"/> into <paramref name="folder"/>. <paramref name="say"/> hears a line per file
    /// (skipped, downloaded, unpacked), <paramref name="progress"/> each whole percent (each megabyte when the size is
    /// not known). Throws <see cref="DatasetFetchException"/> when a file cannot be had from any mirror.
    /// </summary>
    public async Task FetchAsync(string dataset, string folder, Action<string> say, Action<FetchProgress> progress, CancellationToken ct = default)
    {
        if (!Datasets.Contains(dataset)) throw new ArgumentException($"unknown dataset '{dataset}': {Choices}");
        folder = Path.GetFullPath(folder);
        if (IsPresent(dataset, folder) && dataset == "cifar10")
        {
            say($"{dataset}: already in {folder}");
            return;
        }
        Directory.CreateDirectory(folder);
        var files = FilesOf(dataset);
        for (int i = 0; i < files.Count; i++)
        {
            var name = files[i];
            var target = Path.Combine(folder, name);
            var md5 = _options.Md5.GetValueOrDefault(name) ?? throw new DatasetFetchException($"DatasetFetch:Md5 has no checksum for {name}");
            if (dataset == "mnist" && !File.Exists(target) && File.Exists(target[..^3]))
            {
                say($"{name}: already present, unpacked ({name[..^3]})");
                continue;
            }
            if (File.Exists(target))
            {
                var have = await Md5Async(target, ct);
                if (string.Equals(have, md5, StringComparison.OrdinalIgnoreCase))
                {
                    say($"{name}: already present, MD5 ok");
                    continue;
                }
                say($"{name}: present but its MD5 is {have}, not {md5}: downloading it again");
            }
            var reasons = new List<string>();
            var index = i;
            foreach (var mirror in _options.MirrorsOf(dataset))
            {
                var url = mirror.TrimEnd('/') + "/" + name;
                if (await DownloadAsync(url, target, md5, p => progress(p with { Index = index + 1, Files = files.Count }), ct) is not { } reason)
                {
                    reasons.Clear();
                    say($"{name}: downloaded from {url}, {FetchProgress.Mb(new FileInfo(target).Length)} MB, MD5 ok");
                    break;
                }
                reasons.Add(reason);
                say($"{name}: {reason}");
            }
            if (reasons.Count > 0 || !File.Exists(target))
                throw new DatasetFetchException(
                    $"could not fetch {name}: {string.Join("; ", reasons)}. " +
                    $"To put the files there by hand (from a machine with internet), download {string.Join(", ", files)} " +
                    $"(from {string.Join(" or ", _options.MirrorsOf(dataset))}) into {folder}" +
                    (dataset == "cifar10" ? $" and unpack it there (tar xzf {Cifar10Archive})" : ""));
        }
        if (dataset == "cifar10") Unpack(Path.Combine(folder, Cifar10Archive), folder, say);
    }

    /// <summary>Null when <paramref name="target"/> now holds the file with its MD5; otherwise why not (the .part removed).</summary>
    private async Task<string?> DownloadAsync(string url, string target, string md5, Action<FetchProgress> progress, CancellationToken ct)
    {
        var name = Path.GetFileName(target);
        var part = target + ".part";
        var stall = TimeSpan.FromSeconds(Math.Max(1, _options.StallSeconds));
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct);
        try
        {
            timer.CancelAfter(stall);
            using var response = await _http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, timer.Token);
            if (!response.IsSuccessStatusCode) return $"{url}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}";
            long? total = response.Content.Headers.ContentLength;
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
            long bytes = 0, reported = -1;
            await using (var input = await response.Content.ReadAsStreamAsync(timer.Token))
            await using (var output = new FileStream(part, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                var buffer = new byte[1 << 16];
                progress(new FetchProgress(name, 0, 0, 0, total));
                while (true)
                {
                    timer.CancelAfter(stall);
                    int n = await input.ReadAsync(buffer, timer.Token);
                    if (n == 0) break;
                    hash.AppendData(buffer, 0, n);
                    await output.WriteAsync(buffer.AsMemory(0, n), ct);
                    bytes += n;
                    // Each whole percent (or megabyte): enough for a bar, few enough for a log.
                    long step = total is long t && t > 0 ? bytes * 100 / t : bytes >> 20;
                    if (step != reported) { reported = step; progress(new FetchProgress(name, 0, 0, bytes, total)); }
                }
            }
            var got = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (!string.Equals(got, md5, StringComparison.OrdinalIgnoreCase))
            {
                File.Delete(part);
                return $"{url}: checksum mismatch, MD5 {got} is not the expected {md5}; the downloaded file was removed";
            }
            File.Move(part, target, overwrite: true);
            return null;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            File.Delete(part);
            return $"{url}: nothing received for {stall.TotalSeconds:0} s";
        }
        catch (Exception e) when (e is HttpRequestException or HttpIOException)
        {
            File.Delete(part);
            return $"{url}: {(e.InnerException ?? e).Message}";
        }
        catch
        {
            File.Delete(part);
            throw;
        }
    }

    private static async Task<string> Md5Async(string path, CancellationToken ct)
    {
        await using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(await MD5.HashDataAsync(file, ct));
    }

    /// <summary>
    /// The tarball's cifar-10-batches-bin/ members, unpacked into a .part folder and moved into place once all six
    /// batches are out; nothing else is written (an archive can name any path). The tarball is removed after.
    /// </summary>
    private static void Unpack(string archive, string folder, Action<string> say)
    {
        var staging = Path.Combine(folder, Cifar10Files.Subfolder + ".part");
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);
        try
        {
            using (var file = File.OpenRead(archive))
            using (var gz = new GZipStream(file, CompressionMode.Decompress))
            using (var tar = new TarReader(gz))
            {
                while (tar.GetNextEntry() is { } entry)
                {
                    if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
                    var parts = entry.Name.Split('/', StringSplitOptions.RemoveEmptyEntries);
                    if (parts.Length != 2 || parts[0] != Cifar10Files.Subfolder || parts[1] is "." or "..") continue;
                    entry.ExtractToFile(Path.Combine(staging, parts[1]), overwrite: true);
                }
            }
            var missing = Cifar10Files.TrainFiles.Append(Cifar10Files.TestFile).Where(f => !File.Exists(Path.Combine(staging, f))).ToList();
            if (missing.Count > 0)
                throw new DatasetFetchException($"{archive} has no {Cifar10Files.Subfolder}/{string.Join(", ", missing)}: not CIFAR-10's binary version");
            var final = Path.Combine(folder, Cifar10Files.Subfolder);
            Directory.CreateDirectory(final);
            foreach (var f in Directory.GetFiles(staging)) File.Move(f, Path.Combine(final, Path.GetFileName(f)), overwrite: true);
            say($"{Cifar10Archive}: unpacked into {final}");
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException)
        {
            throw new DatasetFetchException($"{archive}: cannot be unpacked ({e.Message})");
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
        // The batches are what the loader reads; the 163 MB tarball is not needed again.
        File.Delete(archive);
    }

    public void Dispose() => _http.Dispose();
}
