using Microsoft.Extensions.Configuration;

namespace Dashboard.Training.Datasets;

/// <summary>
/// Section "DatasetFetch": where `datasets fetch` and the form's Download button get MNIST and CIFAR-10, and the MD5
/// each file must have. The files go to the folders the loader reads (Training:MnistDir, Training:Cifar10Dir), so that
/// what was fetched is what trains.
/// </summary>
public sealed class DatasetFetchOptions
{
    public const string Section = "DatasetFetch";

    /// <summary>
    /// Folders holding MNIST's four idx .gz files, tried in turn; empty: <see cref="DefaultMnistMirrors"/>. (No initial
    /// value: the configuration binder appends configured items to an array's initial ones.)
    /// </summary>
    public string[] MnistMirrors { get; set; } = [];

    /// <summary>Folders holding cifar-10-binary.tar.gz, tried in turn; empty: <see cref="DefaultCifar10Mirrors"/>.</summary>
    public string[] Cifar10Mirrors { get; set; } = [];

    /// <summary>MD5 of each file by name; a configured entry replaces the default one (torchvision's checksums).</summary>
    public Dictionary<string, string> Md5 { get; set; } = new(DefaultMd5);

    /// <summary>Seconds without a byte from a mirror (or without its answer) before it is given up for the next.</summary>
    public int StallSeconds { get; set; } = 30;

    // torchvision's order: LeCun's own site has answered 403 for years, so the S3 copy comes first.
    public static readonly string[] DefaultMnistMirrors =
    [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ];

    public static readonly string[] DefaultCifar10Mirrors = ["https://www.cs.toronto.edu/~kriz/"];

    public static readonly IReadOnlyDictionary<string, string> DefaultMd5 = new Dictionary<string, string>
    {
        ["train-images-idx3-ubyte.gz"] = "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        ["train-labels-idx1-ubyte.gz"] = "d53e105ee54ea40749a09fcbcd1e9432",
        ["t10k-images-idx3-ubyte.gz"] = "9fb629c4189551a2d022fa330f9573f3",
        ["t10k-labels-idx1-ubyte.gz"] = "ec29112dd5afa0611ce80d1b7f02629c",
        ["cifar-10-binary.tar.gz"] = "c32a1d4ab5d03f1284b67883e8d87530",
    };

    public IReadOnlyList<string> MirrorsOf(string dataset) => dataset switch
    {
        "mnist" => MnistMirrors.Length > 0 ? MnistMirrors : DefaultMnistMirrors,
        "cifar10" => Cifar10Mirrors.Length > 0 ? Cifar10Mirrors : DefaultCifar10Mirrors,
        _ => [],
    };

    /// <summary>The DatasetFetch section of appsettings.json beside the program, overridden by DatasetFetch__* environment variables.</summary>
    public static DatasetFetchOptions FromConfiguration()
    {
        var config = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables()
            .Build();
        var options = new DatasetFetchOptions();
        config.GetSection(Section).Bind(options);
        return options;
    }
}
