using System.Buffers.Binary;
using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Dashboard.Training.Tests;

/// <summary>
/// A local HTTP server on a free loopback port standing in for the datasets' mirrors: serves the bytes the test gives
/// each path (with Content-Length), answers the statuses the test chooses, can hold a file half sent until the test
/// lets it go on, and records every path asked for. Also makes small, loadable fake MNIST and CIFAR-10 files.
/// </summary>
public sealed class DatasetServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Dictionary<string, byte[]> _files = [];
    private readonly Dictionary<string, int> _statuses = [];
    private readonly Dictionary<string, TaskCompletionSource> _gates = [];
    private readonly List<string> _requests = [];
    private readonly Task _loop;

    /// <summary>http://127.0.0.1:PORT (no trailing slash).</summary>
    public string Url { get; }

    public DatasetServer()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Url = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add($"{Url}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    /// <summary>Serves <paramref name="files"/> (name → bytes) under the folder <paramref name="folder"/> ("/good/").</summary>
    public void Serve(string folder, IReadOnlyDictionary<string, byte[]> files)
    {
        lock (_files) foreach (var (name, bytes) in files) _files[folder + name] = bytes;
    }

    /// <summary>Every request under <paramref name="folder"/> is answered with <paramref name="status"/>.</summary>
    public void Fail(string folder, int status)
    {
        lock (_files) _statuses[folder] = status;
    }

    /// <summary>The file at <paramref name="path"/> is sent half, then waits until the returned source is completed.</summary>
    public TaskCompletionSource HoldHalfway(string path)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_files) _gates[path] = gate;
        return gate;
    }

    public IReadOnlyList<string> Requests
    {
        get { lock (_files) return [.. _requests]; }
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext c;
            try { c = await _listener.GetContextAsync(); }
            catch (Exception) { return; }
            _ = Task.Run(() => AnswerAsync(c));
        }
    }

    private async Task AnswerAsync(HttpListenerContext c)
    {
        var path = c.Request.Url!.AbsolutePath;
        byte[]? body;
        int? status;
        TaskCompletionSource? gate;
        lock (_files)
        {
            _requests.Add(path);
            status = _statuses.Where(f => path.StartsWith(f.Key)).Select(f => (int?)f.Value).FirstOrDefault();
            body = _files.GetValueOrDefault(path);
            gate = _gates.GetValueOrDefault(path);
        }
        try
        {
            if (status is not null || body is null)
            {
                c.Response.StatusCode = status ?? 404;
                c.Response.Close();
                return;
            }
            c.Response.ContentLength64 = body.Length;
            var output = c.Response.OutputStream;
            int half = gate is null ? body.Length : body.Length / 2;
            await output.WriteAsync(body.AsMemory(0, half));
            await output.FlushAsync();
            if (gate is not null)
            {
                await gate.Task;
                await output.WriteAsync(body.AsMemory(half));
            }
            c.Response.Close();
        }
        catch (HttpListenerException) { }  // the client went away
        catch (ObjectDisposedException) { }
    }

    public static string Md5(byte[] bytes) => Convert.ToHexStringLower(MD5.HashData(bytes));

    /// <summary>MNIST's four files, gzipped, as the mirrors name them: <paramref name="train"/> and
    /// <paramref name="test"/> 28x28 images whose labels count 0..9 over and over.</summary>
    public static Dictionary<string, byte[]> MnistFiles(int train = 20, int test = 10)
    {
        var random = new Random(1);
        byte[] Images(int n) { var pixels = new byte[n * 28 * 28]; random.NextBytes(pixels); return Idx(3, [n, 28, 28], pixels); }
        byte[] Labels(int n) => Idx(1, [n], [.. Enumerable.Range(0, n).Select(i => (byte)(i % 10))]);
        return new()
        {
            ["train-images-idx3-ubyte.gz"] = Gzip(Images(train)),
            ["train-labels-idx1-ubyte.gz"] = Gzip(Labels(train)),
            ["t10k-images-idx3-ubyte.gz"] = Gzip(Images(test)),
            ["t10k-labels-idx1-ubyte.gz"] = Gzip(Labels(test)),
        };
    }

    /// <summary>cifar-10-binary.tar.gz holding cifar-10-batches-bin/ with six batches of <paramref name="perFile"/>
    /// records (labels 0..9 over and over), batches.meta.txt, and one member that tries to climb out of the folder.</summary>
    public static byte[] Cifar10Archive(int perFile = 2)
    {
        using var tarBytes = new MemoryStream();
        using (var tar = new TarWriter(tarBytes, TarEntryFormat.Ustar, leaveOpen: true))
        {
            void Add(string name, byte[] data)
            {
                tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });
            }
            tar.WriteEntry(new UstarTarEntry(TarEntryType.Directory, "cifar-10-batches-bin/"));
            foreach (var batch in new[] { "data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch" })
            {
                var records = new byte[perFile * 3073];
                for (int r = 0; r < perFile; r++) { records[r * 3073] = (byte)(r % 10); records[r * 3073 + 1] = 255; }
                Add($"cifar-10-batches-bin/{batch}.bin", records);
            }
            Add("cifar-10-batches-bin/batches.meta.txt", "airplane\nautomobile\n"u8.ToArray());
            Add("cifar-10-batches-bin/../../escaped.bin", [1, 2, 3]);
        }
        return Gzip(tarBytes.ToArray());
    }

    private static byte[] Idx(byte dims, int[] shape, byte[] data)
    {
        var bytes = new byte[4 + 4 * shape.Length + data.Length];
        bytes[2] = 0x08;
        bytes[3] = dims;
        for (int i = 0; i < shape.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), shape[i]);
        data.CopyTo(bytes, 4 + 4 * shape.Length);
        return bytes;
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var z = new GZipStream(output, CompressionLevel.Fastest)) z.Write(bytes);
        return output.ToArray();
    }

    public void Dispose()
    {
        lock (_files) foreach (var gate in _gates.Values) gate.TrySetResult();
        _listener.Stop();
        _listener.Close();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
