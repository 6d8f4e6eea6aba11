using Dashboard.Training.Datasets;
using Dashboard.Training.Specs;

namespace Dashboard.Training.Tests;

/// <summary>
/// `datasets fetch` against a local server standing in for the mirrors: the files land where the loader reads them
/// and load, a bad checksum leaves nothing behind, a failing mirror gives way to the next, what is there is not
/// fetched again, and a bad name or no network is answered with what to do.
/// </summary>
[Collection("console")]
public sealed class DatasetFetchTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dn-fetch-").FullName;
    private readonly DatasetServer _server = new();
    private readonly Dictionary<string, byte[]> _mnist = DatasetServer.MnistFiles();

    public void Dispose()
    {
        _server.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private TrainingOptions Training => new() { MnistDir = Path.Combine(_dir, "mnist"), Cifar10Dir = Path.Combine(_dir, "cifar10") };

    /// <summary>The mirrors given, and the MD5 of every file the server serves (the test's files, not the real ones).</summary>
    private DatasetFetchOptions Options(string[] mnist, string[]? cifar10 = null, IReadOnlyDictionary<string, byte[]>? files = null)
    {
        var options = new DatasetFetchOptions { MnistMirrors = mnist, Cifar10Mirrors = cifar10 ?? [], StallSeconds = 10 };
        foreach (var (name, bytes) in files ?? _mnist) options.Md5[name] = DatasetServer.Md5(bytes);
        return options;
    }

    private static (int Code, string Out, string Err) Run(TrainingOptions training, DatasetFetchOptions options, params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try { return (DatasetsCommand.Run(args, training, options), stdout.ToString(), stderr.ToString()); }
        finally { Console.SetOut(oldOut); Console.SetError(oldErr); }
    }

    private static TrainingData Load(string dataset, TrainingOptions training) =>
        DatasetLoader.Load(SpecJson.Parse($$"""{ "dataset": "{{dataset}}", "model": "mlp" }""").Dataset!, 0, training);

    [Fact]
    public void Mnist_is_fetched_with_progress_into_the_folder_the_loader_reads()
    {
        _server.Serve("/mnist/", _mnist);

        var (code, stdout, stderr) = Run(Training, Options([$"{_server.Url}/mnist/"]), "fetch", "mnist");

        Assert.True(code == 0, stderr);
        Assert.Contains($"fetching mnist into {Training.MnistDir}", stdout);
        var mb = FetchProgress.Mb(_mnist["train-images-idx3-ubyte.gz"].Length);
        Assert.Contains($"train-images-idx3-ubyte.gz (1 of 4): 0% (0.0 of {mb} MB)", stdout);
        Assert.Contains($"train-images-idx3-ubyte.gz (1 of 4): 100% ({mb} of {mb} MB)", stdout);
        Assert.Contains("t10k-labels-idx1-ubyte.gz (4 of 4): 100%", stdout);
        Assert.Contains($"train-images-idx3-ubyte.gz: downloaded from {_server.Url}/mnist/train-images-idx3-ubyte.gz", stdout);
        Assert.EndsWith($"mnist is ready in {Training.MnistDir}", stdout.TrimEnd());
        foreach (var (name, bytes) in _mnist) Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(Training.MnistDir, name)));
        Assert.Empty(Directory.GetFiles(Training.MnistDir, "*.part"));

        var data = Load("mnist", Training);
        Assert.Equal(20, data.Train.Count);
        Assert.Equal(10, data.Validation.Count);
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1], data.Train.Labels.Take(12));
    }

    [Fact]
    public void Cifar10_is_fetched_and_unpacked_into_the_batches_folder_and_nothing_escapes_it()
    {
        var archive = new Dictionary<string, byte[]> { [DatasetFetcher.Cifar10Archive] = DatasetServer.Cifar10Archive(perFile: 3) };
        _server.Serve("/kriz/", archive);

        var (code, stdout, stderr) = Run(Training, Options([], [$"{_server.Url}/kriz/"], archive), "fetch", "cifar10");

        Assert.True(code == 0, stderr);
        Assert.Contains("cifar-10-binary.tar.gz (1 of 1): 100%", stdout);
        Assert.Contains($"cifar-10-binary.tar.gz: unpacked into {Path.Combine(Training.Cifar10Dir, "cifar-10-batches-bin")}", stdout);
        var data = Load("cifar10", Training);
        Assert.Equal(15, data.Train.Count);
        Assert.Equal(3, data.Validation.Count);
        Assert.Equal([0, 1, 2], data.Validation.Labels);
        // The tarball is gone once unpacked; the member naming ../../escaped.bin was not written anywhere.
        Assert.False(File.Exists(Path.Combine(Training.Cifar10Dir, DatasetFetcher.Cifar10Archive)));
        Assert.Empty(Directory.GetFiles(_dir, "escaped.bin", SearchOption.AllDirectories));
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(_dir)!, "escaped.bin")));
        Assert.Equal(["cifar-10-batches-bin"], Directory.GetFileSystemEntries(Training.Cifar10Dir).Select(Path.GetFileName));
    }

    [Fact]
    public void A_checksum_mismatch_is_an_error_and_leaves_no_file()
    {
        _server.Serve("/mnist/", _mnist);
        var options = Options([$"{_server.Url}/mnist/"]);
        options.Md5["train-labels-idx1-ubyte.gz"] = DatasetServer.Md5([1, 2, 3]);

        var (code, _, stderr) = Run(Training, options, "fetch", "mnist");

        Assert.Equal(1, code);
        Assert.Contains("error: could not fetch train-labels-idx1-ubyte.gz: ", stderr);
        Assert.Contains($"checksum mismatch, MD5 {DatasetServer.Md5(_mnist["train-labels-idx1-ubyte.gz"])} is not the expected {DatasetServer.Md5([1, 2, 3])}; the downloaded file was removed", stderr);
        Assert.False(File.Exists(Path.Combine(Training.MnistDir, "train-labels-idx1-ubyte.gz")));
        Assert.Empty(Directory.GetFiles(Training.MnistDir, "*.part"));
    }

    [Fact]
    public void A_failing_mirror_gives_way_to_the_next()
    {
        _server.Fail("/down/", 503);
        _server.Serve("/mirror/", _mnist);

        var (code, stdout, stderr) = Run(Training, Options([$"{_server.Url}/down/", $"{_server.Url}/mirror/"]), "fetch", "mnist");

        Assert.True(code == 0, stderr);
        Assert.Contains($"train-images-idx3-ubyte.gz: {_server.Url}/down/train-images-idx3-ubyte.gz: HTTP 503 Service Unavailable", stdout);
        Assert.Contains($"train-images-idx3-ubyte.gz: downloaded from {_server.Url}/mirror/train-images-idx3-ubyte.gz", stdout);
        Assert.Equal(["/down/train-images-idx3-ubyte.gz", "/mirror/train-images-idx3-ubyte.gz"], _server.Requests.Take(2));
        Assert.Equal(10, Load("mnist", Training).Validation.Count);
    }

    [Fact]
    public void Files_already_present_and_valid_are_not_fetched_again_and_a_damaged_one_is()
    {
        _server.Serve("/mnist/", _mnist);
        var options = Options([$"{_server.Url}/mnist/"]);
        Assert.Equal(0, Run(Training, options, "fetch", "mnist").Code);
        Assert.Equal(4, _server.Requests.Count);
        File.WriteAllBytes(Path.Combine(Training.MnistDir, "t10k-images-idx3-ubyte.gz"), [0x1f, 0x8b, 0]);

        var (code, stdout, stderr) = Run(Training, options, "fetch", "mnist");

        Assert.True(code == 0, stderr);
        Assert.Contains("train-images-idx3-ubyte.gz: already present, MD5 ok", stdout);
        Assert.Contains("t10k-labels-idx1-ubyte.gz: already present, MD5 ok", stdout);
        Assert.Contains($"t10k-images-idx3-ubyte.gz: present but its MD5 is {DatasetServer.Md5([0x1f, 0x8b, 0])}", stdout);
        Assert.Equal(["/mnist/t10k-images-idx3-ubyte.gz"], _server.Requests.Skip(4));
        Assert.Equal(_mnist["t10k-images-idx3-ubyte.gz"], File.ReadAllBytes(Path.Combine(Training.MnistDir, "t10k-images-idx3-ubyte.gz")));
    }

    [Fact]
    public void Without_network_the_error_says_where_to_put_the_files_by_hand()
    {
        // Port 1 on loopback: nothing listens, the connection is refused at once, as with no route out.
        var (code, stdout, stderr) = Run(Training, Options(["http://127.0.0.1:1/mnist/"]), "fetch", "mnist");

        Assert.Equal(1, code);
        Assert.Contains("error: could not fetch train-images-idx3-ubyte.gz: http://127.0.0.1:1/mnist/train-images-idx3-ubyte.gz: ", stderr);
        Assert.Contains($"To put the files there by hand (from a machine with internet), download train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz (from http://127.0.0.1:1/mnist/) into {Training.MnistDir}", stderr);
        Assert.DoesNotContain("mnist is ready", stdout);
        Assert.Empty(Directory.GetFiles(Training.MnistDir));
    }

    [Fact]
    public void An_unknown_dataset_is_answered_with_the_choices()
    {
        var (code, stdout, stderr) = Run(Training, Options([_server.Url]), "fetch", "imagenet");

        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.StartsWith("unknown dataset 'imagenet': datasets fetch takes one of mnist, cifar10 (fashion_mnist comes from Debian's package dataset-fashion-mnist)", stderr);
        Assert.Contains("usage: datasets fetch mnist|cifar10 [--dir DIR]", stderr);
        Assert.Empty(_server.Requests);
        Assert.False(Directory.Exists(Training.MnistDir));
    }
}
