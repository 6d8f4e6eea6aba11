using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Dashboard.Web.Tests;

/// <summary>The API calls the tests make again and again: launch a spec, read a run, wait for its status.</summary>
internal static class RunsClient
{
    public static Task<HttpResponseMessage> PostSpecAsync(this HttpClient client, string json) =>
        client.PostAsync("/api/experiments", new StringContent(json, Encoding.UTF8, "application/json"));

    /// <summary>Posts a spec that must be accepted; the id of its run.</summary>
    public static async Task<long> LaunchAsync(this HttpClient client, string json)
    {
        var response = await client.PostSpecAsync(json);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_ids")[0].GetInt64();
    }

    public static async Task<JsonElement> RunAsync(this HttpClient client, long id) =>
        await client.GetFromJsonAsync<JsonElement>($"/api/runs/{id}");

    public static async Task<JsonElement> WaitForAsync(this HttpClient client, long id, Func<JsonElement, bool> done, string what, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var run = await client.RunAsync(id);
            if (done(run)) return run;
            Assert.True(DateTime.UtcNow < deadline, $"run {id} not {what} after {seconds} s: {run.GetProperty("status")}");
            await Task.Delay(100);
        }
    }

    /// <summary>Waits until the caller's only alert delivery is as <paramref name="done"/> says; that delivery.</summary>
    public static async Task<JsonElement> WaitForDeliveryAsync(this HttpClient client, Func<JsonElement, bool> done, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var deliveries = await client.GetFromJsonAsync<JsonElement>("/api/alerts/deliveries");
            if (deliveries.GetArrayLength() == 1 && done(deliveries[0])) return deliveries[0];
            Assert.True(DateTime.UtcNow < deadline, $"the alert not {what} after {seconds} s: {deliveries}");
            await Task.Delay(200);
        }
    }

    /// <summary>The antiforgery token of the first form in a page, as a browser would post it back.</summary>
    public static string AntiforgeryToken(string html) =>
        System.Text.RegularExpressions.Regex.Match(html, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;

    public static Task<JsonElement> WaitFinishedAsync(this HttpClient client, long id) =>
        client.WaitForAsync(id, r => r.GetProperty("status").GetString() is "completed" or "failed" or "diverged" or "cancelled", "finished");
}
