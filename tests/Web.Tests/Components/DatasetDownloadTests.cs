using AngleSharp.Dom;
using Bunit;
using Dashboard.Training.Tests;
using Dashboard.Web.Components.Pages.Experiments;

namespace Dashboard.Web.Tests.Components;

/// <summary>
/// bUnit: the new-experiment form offers a download where MNIST or CIFAR-10 is missing, shows its progress while the
/// files come from a local server standing in for the mirrors, and then sees the dataset present; a failed download
/// says why beside the field.
/// </summary>
public sealed class DatasetDownloadTests(DatasetDownloadTests.Mirrors mirrors) : AppTestContext(mirrors.App, user: "tester"), IClassFixture<DatasetDownloadTests.Mirrors>
{
    /// <summary>A test server whose MNIST and CIFAR-10 folders are empty and whose mirrors are the local server's
    /// (MNIST served with the MD5s of its files, CIFAR-10's folder answering 500).</summary>
    public sealed class Mirrors : IDisposable
    {
        public DatasetServer Server { get; } = new();
        public Dictionary<string, byte[]> Mnist { get; } = DatasetServer.MnistFiles(train: 60, test: 20);
        public string DataDir { get; } = Directory.CreateTempSubdirectory("dn-download-").FullName;
        public DashboardFactory App { get; }

        public Mirrors()
        {
            Server.Serve("/mnist/", Mnist);
            Server.Fail("/kriz/", 500);
            App = new DashboardFactory();
            App.Settings["Training:MnistDir"] = Path.Combine(DataDir, "mnist");
            App.Settings["Training:Cifar10Dir"] = Path.Combine(DataDir, "cifar10");
            App.Settings["DatasetFetch:MnistMirrors:0"] = $"{Server.Url}/mnist/";
            App.Settings["DatasetFetch:Cifar10Mirrors:0"] = $"{Server.Url}/kriz/";
            foreach (var (name, bytes) in Mnist) App.Settings[$"DatasetFetch:Md5:{name}"] = DatasetServer.Md5(bytes);
        }

        public void Dispose()
        {
            App.Dispose();
            Server.Dispose();
            Directory.Delete(DataDir, recursive: true);
        }
    }

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private static IElement[] ErrorsOf(IRenderedComponent<NewExperiment> form, string field) =>
        [.. form.FindAll($".field-error[data-field='{field}']")];

    [Fact]
    public void A_missing_dataset_is_downloaded_from_the_form_with_its_progress_and_then_launches()
    {
        var folder = Path.Combine(mirrors.DataDir, "mnist");
        var form = Render<NewExperiment>();
        form.WaitForElement("#f-dataset-name", Wait);
        Assert.Empty(form.FindAll("#dataset-download"));  // hyperspheres: nothing to download
        form.Find("#f-dataset-name").Change("mnist");
        form.WaitForAssertion(() => Assert.Contains($"mnist is not in {folder}.", form.Find("#dataset-download").TextContent), Wait);

        // The launch check still says where the files must be.
        form.Find("#preview-runs-button").Click();
        form.WaitForAssertion(() => Assert.Contains(ErrorsOf(form, "dataset.name"), e => e.TextContent.Contains($"the mnist files are not in {folder}")), Wait);

        // The first file stops halfway until the test lets it go on: the bar shows where it is.
        var gate = mirrors.Server.HoldHalfway("/mnist/train-images-idx3-ubyte.gz");
        form.Find("#download-dataset").Click();
        form.WaitForAssertion(() =>
        {
            var percent = int.Parse(form.Find("#dataset-download-progress").GetAttribute("aria-valuenow")!);
            Assert.InRange(percent, 40, 60);
            Assert.Contains($"Downloading mnist: train-images-idx3-ubyte.gz (1 of 4), {percent}% (", form.Find("#dataset-download-status").TextContent);
        }, Wait);
        Assert.Empty(form.FindAll("#download-dataset"));
        Assert.False(File.Exists(Path.Combine(folder, "train-images-idx3-ubyte.gz")));
        gate.SetResult();

        form.WaitForAssertion(() => Assert.Contains($"mnist downloaded into {folder}, checksums verified.", form.Find("#dataset-download-done").TextContent), Wait);
        Assert.Empty(ErrorsOf(form, "dataset.name"));
        foreach (var (name, bytes) in mirrors.Mnist) Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(folder, name)));

        form.Find("#preview-runs-button").Click();
        form.WaitForAssertion(() => Assert.Equal("1", form.Find("#preview-count").TextContent), Wait);
        Assert.Empty(ErrorsOf(form, "dataset.name"));
    }

    [Fact]
    public void A_download_that_fails_says_why_and_where_to_put_the_files()
    {
        var form = Render<NewExperiment>();
        form.WaitForElement("#f-dataset-name", Wait);
        form.Find("#f-dataset-name").Change("cifar10");
        form.WaitForElement("#download-dataset", Wait).Click();

        form.WaitForAssertion(() =>
        {
            var error = form.Find("#dataset-download-error").TextContent;
            Assert.Contains($"could not fetch cifar-10-binary.tar.gz: {mirrors.Server.Url}/kriz/cifar-10-binary.tar.gz: HTTP 500", error);
            Assert.Contains($"To put the files there by hand (from a machine with internet), download cifar-10-binary.tar.gz (from {mirrors.Server.Url}/kriz/) into {Path.Combine(mirrors.DataDir, "cifar10")}", error);
        }, Wait);
        Assert.NotNull(form.Find("#download-dataset"));  // it can be tried again
        Assert.Empty(Directory.GetFiles(Path.Combine(mirrors.DataDir, "cifar10")));
    }
}
