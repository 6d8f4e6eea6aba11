using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Web.Tests;

/// <summary>A server whose webhooks are retried quickly: twice, a second apart.</summary>
public sealed class AlertsServer : IDisposable
{
    public DashboardFactory App { get; } = new() { Settings = { ["Alerts:Retries"] = "2", ["Alerts:RetryDelaysSeconds:0"] = "1" } };
    public void Dispose() => App.Dispose();
}

/// <summary>Alerts end to end: real runs on the real trainer, webhooks posted to a receiver this test starts.</summary>
public sealed class AlertTests(AlertsServer server) : IClassFixture<AlertsServer>, IDisposable
{
    private readonly HttpClient _client = server.App.CreateClient();
    private readonly WebhookReceiver _receiver = new();

    private static string Spec(string project, double lr = 0.1, int epochs = 4, string extra = "") => $$"""
        { "name": "{{project}}",
          "dataset": { "name": "hyperspheres", "n": 600, "p": 16, "d": 3, "classes": 3 },
          "model": { "name": "mlp", "layer_size": [32], "act_funcs": ["relu"] },
          "optimizer": { "name": "sgd", "lr": {{lr.ToString(System.Globalization.CultureInfo.InvariantCulture)}} },
          "batch_size": 30, "max_epochs": {{epochs}} {{extra}} }
        """;

    private async Task<long> AddRuleAsync(object rule)
    {
        var response = await _client.PostAsJsonAsync("/api/alerts", rule);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
    }

    private static string Hmac(string secret, byte[] body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    [Fact]
    public async Task A_diverging_run_sends_one_webhook_signed_with_the_rules_secret()
    {
        await AddRuleAsync(new
        {
            project = "div", events = new[] { "finished", "failed", "diverged" }, webhook_url = _receiver.Url, secret = "s3cret",
        });
        // Another project's rule hears nothing of it.
        await AddRuleAsync(new { project = "other", events = new[] { "diverged" }, webhook_url = _receiver.Url + "/other" });

        // The README's example at lr 10: its loss is infinite within the first epoch (a one-layer MLP of relu units dies instead).
        var id = await _client.LaunchAsync("""
            { "name": "div",
              "dataset": { "name": "hyperspheres", "n": 2000, "p": 128, "d": 5, "classes": 4, "noise": 0.1 },
              "model": { "name": "mlp", "layer_size": [64, 32], "act_funcs": ["relu", "relu"] },
              "optimizer": { "name": "sgd_momentum_wdecay", "lr": 10, "regularization": 0.001 },
              "batch_size": 50, "max_epochs": 20, "seed": 0 }
            """);
        var run = await _client.WaitFinishedAsync(id);
        Assert.Equal("diverged", run.GetProperty("status").GetString());

        var hook = Assert.Single(await _receiver.WaitForAsync(1));
        Assert.Equal("/hook", hook.Path);
        Assert.Equal(Hmac("s3cret", hook.Body), hook.Headers["X-Dashboard-Signature"]);
        Assert.NotEqual(Hmac("another secret", hook.Body), hook.Headers["X-Dashboard-Signature"]);
        Assert.Equal("diverged", hook.Headers["X-Dashboard-Event"]);
        var body = JsonDocument.Parse(hook.Body).RootElement;
        Assert.Equal("diverged", body.GetProperty("event").GetString());
        Assert.Equal(id, body.GetProperty("run").GetProperty("id").GetInt64());
        Assert.Equal("div/00001", body.GetProperty("run").GetProperty("name").GetString());
        Assert.Equal("diverged", body.GetProperty("run").GetProperty("status").GetString());
        Assert.EndsWith($"/runs/{id}", body.GetProperty("run").GetProperty("url").GetString());
        Assert.Equal(run.GetProperty("diverged_at_step").GetInt64(), body.GetProperty("run").GetProperty("diverged_at_step").GetInt64());
        Assert.True(body.GetProperty("metrics").TryGetProperty("loss", out _));
        Assert.Contains("div/00001 diverged", body.GetProperty("summary").GetString());

        // Once: no second post, whatever else the run's end publishes.
        await Task.Delay(3000);
        Assert.Single(_receiver.Requests);
    }

    [Fact]
    public async Task A_threshold_rule_fires_once_per_run_the_first_time_the_metric_crosses_it()
    {
        await AddRuleAsync(new { project = "thr", metric = "val_accuracy", comparison = ">", threshold = 0.5, webhook_url = _receiver.Url });
        // Two runs (seeds 1 and 2), six epochs each: val_accuracy passes 0.5 early in both and stays above it.
        var response = await _client.PostSpecAsync(Spec("thr", epochs: 6, extra: """, "sweep": { "method": "grid", "parameters": { "seed": [1, 2] } }"""));
        var ids = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_ids").EnumerateArray().Select(e => e.GetInt64()).ToList();
        foreach (var id in ids)
        {
            var run = await _client.WaitFinishedAsync(id);
            Assert.Equal("completed", run.GetProperty("status").GetString());
            Assert.True(run.GetProperty("metrics").GetProperty("val_accuracy").GetProperty("max").GetDouble() > 0.5);
        }
        await _receiver.WaitForAsync(2);
        await Task.Delay(3000);
        var hooks = _receiver.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement).ToList();
        Assert.Equal(2, hooks.Count);
        Assert.Equal(ids.Order(), hooks.Select(h => h.GetProperty("run").GetProperty("id").GetInt64()).Order());
        foreach (var h in hooks)
        {
            Assert.Equal("threshold", h.GetProperty("event").GetString());
            var t = h.GetProperty("threshold");
            Assert.Equal("val_accuracy", t.GetProperty("key").GetString());
            Assert.Equal(">", t.GetProperty("comparison").GetString());
            Assert.True(t.GetProperty("reached").GetDouble() > 0.5);
        }
        Assert.DoesNotContain(_receiver.Requests, r => r.Headers.ContainsKey("X-Dashboard-Signature"));   // no secret, no signature
    }

    [Fact]
    public async Task A_receiver_answering_500_is_retried_and_every_attempt_is_logged_while_the_run_completes()
    {
        _receiver.Answer = n => n <= 2 ? 500 : 200;
        await AddRuleAsync(new { project = "retry", events = new[] { "finished" }, webhook_url = _receiver.Url });
        var id = await _client.LaunchAsync(Spec("retry"));
        var run = await _client.WaitFinishedAsync(id);
        Assert.Equal("completed", run.GetProperty("status").GetString());

        var hooks = await _receiver.WaitForAsync(3, seconds: 30);
        // The same body, signed the same way, each time.
        Assert.Single(hooks.Select(h => h.Text).Distinct());
        JsonElement delivery = default;
        for (var deadline = DateTime.UtcNow.AddSeconds(10); ; await Task.Delay(200))
        {
            delivery = (await _client.GetFromJsonAsync<JsonElement>("/api/alerts/deliveries")).EnumerateArray().Single(d => d.GetProperty("run_id").GetInt64() == id);
            if (delivery.GetProperty("status").GetString() == "delivered" || DateTime.UtcNow > deadline) break;
        }
        Assert.Equal("delivered", delivery.GetProperty("status").GetString());
        Assert.Equal([500, 500, 200], delivery.GetProperty("attempts").EnumerateArray().Select(a => a.GetProperty("status_code").GetInt32()));
        // The run was recorded as completed before its alert was first posted: the receiver never held it up.
        var finished = run.GetProperty("finished_at").GetDateTime();
        Assert.True(finished <= hooks[0].Time.AddSeconds(1));

        // The settings page's delivery log shows each attempt.
        var page = await _client.GetStringAsync("/account/alerts");
        var row = page[page.IndexOf($"data-delivery-id=\"{delivery.GetProperty("id").GetInt64()}\"", StringComparison.Ordinal)..];
        row = row[..row.IndexOf("</tr>", StringComparison.Ordinal)];
        Assert.Contains("retry/00001 finished", row);
        Assert.Contains("delivered", row);
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Matches(row, "class=\"alert-attempt\"").Count);
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(row, "data-code=\"500\"").Count);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(row, "data-code=\"200\""));
    }

    [Fact]
    public async Task A_receiver_that_always_fails_ends_failed_after_the_configured_retries_and_the_run_is_not_held_up()
    {
        _receiver.Answer = _ => 500;
        // A threshold crossed in the first epochs: its webhook fails while the run still trains.
        await AddRuleAsync(new { project = "down", events = new[] { "finished" }, metric = "val_accuracy", comparison = ">", threshold = 0.5, webhook_url = _receiver.Url });
        var id = await _client.LaunchAsync(Spec("down", epochs: 6));
        var run = await _client.WaitFinishedAsync(id);
        Assert.Equal("completed", run.GetProperty("status").GetString());
        Assert.Equal(6, run.GetProperty("epoch").GetInt32());

        List<JsonElement> mine = [];
        for (var deadline = DateTime.UtcNow.AddSeconds(30); DateTime.UtcNow < deadline; await Task.Delay(200))
        {
            mine = (await _client.GetFromJsonAsync<JsonElement>("/api/alerts/deliveries")).EnumerateArray().Where(d => d.GetProperty("run_id").GetInt64() == id).ToList();
            if (mine.Count == 2 && mine.All(d => d.GetProperty("status").GetString() == "failed")) break;
        }
        Assert.Equal(["finished", "threshold"], mine.Select(d => d.GetProperty("event").GetString()).Order());
        // The first post and two retries (Alerts:Retries), then no more.
        Assert.All(mine, d =>
        {
            Assert.Equal("failed", d.GetProperty("status").GetString());
            Assert.Equal([500, 500, 500], d.GetProperty("attempts").EnumerateArray().Select(a => a.GetProperty("status_code").GetInt32()));
        });
        await Task.Delay(2500);
        Assert.Equal(6, _receiver.Requests.Count);
    }

    [Fact]
    public async Task Runs_stopped_early_by_asha_fire_stopped_early_once_each_and_a_cancelled_run_fires_nothing()
    {
        await AddRuleAsync(new { project = "asha", events = new[] { "stopped_early", "failed", "diverged" }, webhook_url = _receiver.Url });
        // Five of six learning rates far too small to learn: ASHA stops them at its rung (as the adaptive sweep tests do).
        var response = await _client.PostSpecAsync("""
            { "name": "asha", "dataset": { "name": "hyperspheres", "n": 2000, "p": 8, "d": 2, "classes": 2 },
              "model": { "name": "mlp", "layer_size": [32] }, "batch_size": 16, "max_epochs": 3, "checkpoint": { "every": 1 },
              "sweep": { "method": "grid", "parameters": { "optimizer.lr": [0.1, 1e-6, 2e-6, 3e-6, 4e-6, 5e-6] },
                         "early_stop": { "type": "asha", "metric": "val_loss", "mode": "min", "min_epochs": 1, "reduction_factor": 3 } } }
            """);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var ids = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_ids").EnumerateArray().Select(e => e.GetInt64()).ToList();
        var stopped = new List<long>();
        foreach (var id in ids)
        {
            var run = await _client.WaitForAsync(id, r => r.GetProperty("status").GetString() is "completed" or "failed" or "diverged" or "cancelled" or "stopped", "ended", seconds: 120);
            if (run.GetProperty("status").GetString() == "stopped") stopped.Add(id);
        }
        Assert.NotEmpty(stopped);

        // A cancelled run fires nothing, and neither does an event heard from another process (that process sends it).
        var events = server.App.Services.GetRequiredService<Data.RunEvents>();
        var cancelled = await server.App.AddRunAsync("asha", status: Data.RunStatus.Cancelled);
        events.Publish(new Data.RunEvent(cancelled.Id, Data.RunEventKind.StatusChanged));
        var remote = await server.App.AddRunAsync("asha", status: Data.RunStatus.Failed);
        events.Publish(new Data.RunEvent(remote.Id, Data.RunEventKind.StatusChanged, Remote: true));

        await _receiver.WaitForAsync(stopped.Count);
        await Task.Delay(2500);
        var hooks = _receiver.Requests.Select(h => JsonDocument.Parse(h.Body).RootElement).ToList();
        Assert.Equal(stopped.Order(), hooks.Select(h => h.GetProperty("run").GetProperty("id").GetInt64()).Order());
        Assert.All(hooks, h =>
        {
            Assert.Equal("stopped_early", h.GetProperty("event").GetString());
            Assert.Equal("stopped", h.GetProperty("run").GetProperty("status").GetString());
            Assert.Contains("stopped early", h.GetProperty("summary").GetString());
        });
    }

    [Fact]
    public async Task A_rule_with_a_webhook_that_is_not_http_is_refused_naming_the_field_and_nothing_is_stored()
    {
        var before = (await _client.GetFromJsonAsync<JsonElement>("/api/alerts")).GetArrayLength();
        foreach (var url in new[] { "ftp://example.org/hook", "javascript:alert(1)", "not a url", "file:///etc/passwd" })
        {
            var response = await _client.PostAsJsonAsync("/api/alerts", new { project = "bad", events = new[] { "failed" }, webhook_url = url });
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
            Assert.Contains("http", errors.GetProperty("webhook_url")[0].GetString());
        }
        var threshold = await _client.PostAsJsonAsync("/api/alerts", new { metric = "val_accuracy", comparison = "=>", threshold = "high", browser = true });
        var named = (await threshold.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.True(named.TryGetProperty("comparison", out _));
        Assert.True(named.TryGetProperty("threshold", out _));
        Assert.Equal(before, (await _client.GetFromJsonAsync<JsonElement>("/api/alerts")).GetArrayLength());
    }

    public void Dispose()
    {
        _receiver.Dispose();
        _client.Dispose();
    }
}

/// <summary>With sign-in on, rules are their owner's: others neither see nor delete them.</summary>
public sealed class AlertOwnerTests(SignInFactory app) : IClassFixture<SignInFactory>
{
    [Fact]
    public async Task A_users_alert_rules_are_their_own()
    {
        using var ann = await app.ClientAsAsync("ann", Data.Roles.Viewer);
        using var bob = await app.ClientAsAsync("bob", Data.Roles.Researcher);
        var created = await ann.PostAsJsonAsync("/api/alerts", new { project = "mnist", events = new[] { "failed" }, webhook_url = "https://hooks.example.org/ann", secret = "x" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();

        Assert.Equal(0, (await bob.GetFromJsonAsync<JsonElement>("/api/alerts")).GetArrayLength());
        Assert.Equal(HttpStatusCode.NotFound, (await bob.DeleteAsync($"/api/alerts/{id}")).StatusCode);
        var mine = Assert.Single((await ann.GetFromJsonAsync<JsonElement>("/api/alerts")).EnumerateArray());
        Assert.Equal("https://hooks.example.org/ann", mine.GetProperty("webhook_url").GetString());
        Assert.True(mine.GetProperty("has_secret").GetBoolean());
        Assert.False(mine.TryGetProperty("secret", out _));

        // "Send test": a post to the rule's webhook, signed with its secret; only for the rule's owner.
        using (var receiver = new WebhookReceiver())
        {
            var withHook = await ann.PostAsJsonAsync("/api/alerts", new { events = new[] { "finished" }, webhook_url = receiver.Url, secret = "ping" });
            var hookRule = (await withHook.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
            Assert.Equal(HttpStatusCode.NotFound, (await bob.PostAsync($"/api/alerts/{hookRule}/test", null)).StatusCode);
            Assert.Equal(HttpStatusCode.Accepted, (await ann.PostAsync($"/api/alerts/{hookRule}/test", null)).StatusCode);
            var ping = Assert.Single(await receiver.WaitForAsync(1));
            Assert.Equal("test", JsonDocument.Parse(ping.Body).RootElement.GetProperty("event").GetString());
            Assert.Equal("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes("ping"), ping.Body)), ping.Headers["X-Dashboard-Signature"]);
            Assert.Equal(HttpStatusCode.NoContent, (await ann.DeleteAsync($"/api/alerts/{hookRule}")).StatusCode);
        }

        using var anonymous = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/alerts")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await ann.DeleteAsync($"/api/alerts/{id}")).StatusCode);
        Assert.Equal(0, (await ann.GetFromJsonAsync<JsonElement>("/api/alerts")).GetArrayLength());
    }
}
