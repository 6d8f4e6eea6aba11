using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Dashboard.Web.Tests;

/// <summary>A small HTTP receiver on a free loopback port: records every request and answers with the status the test chooses.</summary>
public sealed class WebhookReceiver : IDisposable
{
    public sealed record Received(DateTime Time, string Path, byte[] Body, IReadOnlyDictionary<string, string> Headers)
    {
        public string Text => Encoding.UTF8.GetString(Body);
    }

    private readonly HttpListener _listener = new();
    private readonly List<Received> _received = [];
    private readonly Task _loop;

    /// <summary>The status for the nth request (1-based); 200 unless set.</summary>
    public Func<int, int> Answer { get; set; } = _ => 200;
    public string Url { get; }

    public WebhookReceiver()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Url = $"http://127.0.0.1:{port}/hook";
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public IReadOnlyList<Received> Requests
    {
        get { lock (_received) return [.. _received]; }
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext c;
            try { c = await _listener.GetContextAsync(); }
            catch (Exception) { return; }
            using var body = new MemoryStream();
            await c.Request.InputStream.CopyToAsync(body);
            var headers = c.Request.Headers.AllKeys.OfType<string>().ToDictionary(k => k, k => c.Request.Headers[k] ?? "", StringComparer.OrdinalIgnoreCase);
            int n;
            lock (_received)
            {
                _received.Add(new Received(DateTime.UtcNow, c.Request.Url!.AbsolutePath, body.ToArray(), headers));
                n = _received.Count;
            }
            c.Response.StatusCode = Answer(n);
            c.Response.Close();
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> requests came; all of them.</summary>
    public async Task<IReadOnlyList<Received>> WaitForAsync(int count, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (Requests.Count < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{Requests.Count} of {count} webhooks received after {seconds} s");
            await Task.Delay(100);
        }
        return Requests;
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
