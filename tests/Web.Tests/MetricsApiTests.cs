using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Dashboard.Web.Tests;

/// <summary>/api/runs/{id}/metrics: several keys in one request, and the tail after a step.</summary>
public sealed class MetricsApiTests(DashboardFactory factory) : IClassFixture<DashboardFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    [Fact]
    public async Task Several_keys_come_in_one_answer_and_after_gives_only_the_later_points()
    {
        var run = await factory.AddRunAsync("tail");
        var start = new DateTime(2026, 3, 1, 12, 0, 0, DateTimeKind.Utc);
        await factory.WriteAsync(run.Id, start, [.. Enumerable.Range(1, 10).Select(s => ("loss", (long)s, 1.0 / s)), ("val_loss", 5, 0.3), ("val_loss", 10, 0.2)]);

        var all = await _client.GetFromJsonAsync<JsonElement>($"/api/runs/{run.Id}/metrics?keys=loss,val_loss");
        Assert.Equal(10, all.GetProperty("loss").GetArrayLength());
        Assert.Equal([5L, 10L], all.GetProperty("val_loss").EnumerateArray().Select(p => p.GetProperty("step").GetInt64()));
        Assert.Equal(start.AddSeconds(10), all.GetProperty("val_loss")[1].GetProperty("time").GetDateTime());

        var tail = await _client.GetFromJsonAsync<JsonElement>($"/api/runs/{run.Id}/metrics?keys=loss,val_loss&after=7");
        Assert.Equal([8L, 9L, 10L], tail.GetProperty("loss").EnumerateArray().Select(p => p.GetProperty("step").GetInt64()));
        Assert.Equal([10L], tail.GetProperty("val_loss").EnumerateArray().Select(p => p.GetProperty("step").GetInt64()));

        var bad = await _client.GetAsync($"/api/runs/{run.Id}/metrics?keys=loss&after=soon");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("\"after\"", await bad.Content.ReadAsStringAsync());
    }
}
