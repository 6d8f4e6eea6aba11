using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Dashboard.Web.Tests;

/// <summary>Sign-in off, the embedded default: callers on this machine act as the admin "local", and nobody else does.</summary>
public sealed class LocalCallerTests(DashboardFactory factory) : IClassFixture<DashboardFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    private const string Spec = """{ "name": "local", "dataset": { "name": "hyperspheres", "n": 200, "p": 8, "d": 2 }, "model": "mlp", "max_epochs": 1 }""";

    private async Task<int> RunCount() => (await _client.GetFromJsonAsync<JsonElement[]>("/api/runs?limit=1000"))!.Length;

    [Fact]
    public async Task A_local_caller_launches_as_local()
    {
        var id = await _client.LaunchAsync(Spec);
        Assert.Equal("local", (await _client.RunAsync(id)).GetProperty("launched_by").GetString());
    }

    [Theory]
    [InlineData("Origin", "https://evil.example")]
    [InlineData("Sec-Fetch-Site", "cross-site")]
    public async Task Another_site_open_in_the_local_browser_cannot_launch_runs(string header, string value)
    {
        var before = await RunCount();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/experiments") { Content = new StringContent(Spec, Encoding.UTF8) };
        request.Headers.Add(header, value);
        Assert.Equal(HttpStatusCode.Forbidden, (await _client.SendAsync(request)).StatusCode);
        Assert.Equal(before, await RunCount());
    }

    [Theory]
    [InlineData("Host", "evil.example:5000")]
    [InlineData("X-Forwarded-For", "203.0.113.9")]
    [InlineData("Forwarded", "for=203.0.113.9")]
    public async Task A_page_that_rebinds_its_name_to_this_machine_or_a_proxied_visitor_reads_nothing(string header, string value)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/runs");
        if (header == "Host") request.Headers.Host = value;
        else request.Headers.Add(header, value);
        Assert.Equal(HttpStatusCode.Forbidden, (await _client.SendAsync(request)).StatusCode);
    }
}
