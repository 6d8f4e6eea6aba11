using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dashboard.Data;
using Dashboard.Data.Tests;
using Dashboard.Training.Specs;
using Dashboard.Training.Worker;
using Dashboard.Web.Tests;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Dashboard.Cluster.Tests;

/// <summary>Alerts in a cluster: a web node and two worker hosts all hear every run's events; each alert is still sent once.</summary>
public sealed class AlertTests(PostgresServer server) : ClusterTest("dashboard-alerts"), IClassFixture<PostgresServer>
{
    [Fact]
    public async Task Each_runs_end_and_threshold_is_sent_once_by_the_host_that_recorded_it()
    {
        using var receiver = new WebhookReceiver();
        var cs = await Cluster.NewDatabaseAsync(server, "alerts");
        var workers = await Cluster.StartWorkersAsync(cs, DataDir, 2, new Dictionary<string, string> { ["Alerts__DashboardUrl"] = "https://dash.example.org" });
        using var first = workers[0];
        using var second = workers[1];
        using var web = Cluster.WebNode(cs);
        await web.StartAsync();

        var dbs = web.Services.GetRequiredService<IDbContextFactory<DashboardDb>>();
        await using (var db = await dbs.CreateDbContextAsync())
        {
            db.AlertRules.Add(new AlertRule { Owner = "ann", Project = "clus", Events = "finished", WebhookUrl = receiver.Url, Secret = "k", CreatedAt = DateTime.UtcNow });
            db.AlertRules.Add(new AlertRule { Owner = "ann", Project = "clus", MetricKey = "val_accuracy", Comparison = ">", Threshold = 0.5, WebhookUrl = receiver.Url, Secret = "k", CreatedAt = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }
        var launched = await web.Services.GetRequiredService<RunLauncher>().LaunchAsync(SpecJson.Parse("""
            { "name": "clus",
              "dataset": { "name": "hyperspheres", "n": 600, "p": 16, "d": 3, "classes": 3 },
              "model": { "name": "mlp", "layer_size": [32] }, "optimizer": { "name": "sgd", "lr": 0.1 },
              "batch_size": 30, "max_epochs": 5, "sweep": { "method": "grid", "parameters": { "seed": [1, 2, 3, 4] } } }
            """));
        await Cluster.Eventually(async () =>
        {
            await using var db = await dbs.CreateDbContextAsync();
            return await db.Runs.CountAsync(r => r.Status == RunStatus.Completed) == 4 ? "" : null;
        }, TimeSpan.FromSeconds(180), () => "runs not completed\n" + Cluster.Logs(workers));

        await receiver.WaitForAsync(8);
        await Task.Delay(4000);
        var hooks = receiver.Requests;
        var sent = hooks.Select(h => JsonDocument.Parse(h.Body).RootElement)
            .Select(b => (Run: b.GetProperty("run").GetProperty("id").GetInt64(), Event: b.GetProperty("event").GetString()!)).ToList();
        // Four runs, each finished once and past the threshold once: eight posts, none twice.
        Assert.Equal(8, sent.Count);
        Assert.Equal(launched.RunIds.SelectMany(id => new[] { (id, "finished"), (id, "threshold") }).Order(), sent.Order());
        foreach (var h in hooks)
        {
            Assert.Equal("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes("k"), h.Body)), h.Headers["X-Dashboard-Signature"]);
            Assert.StartsWith("https://dash.example.org/runs/", JsonDocument.Parse(h.Body).RootElement.GetProperty("run").GetProperty("url").GetString());
        }
        // Found by the worker hosts that trained the runs, not by the web node, which heard of them over LISTEN/NOTIFY.
        Assert.Contains("Alert ", first.Output + second.Output);
        await web.StopAsync();
    }
}
