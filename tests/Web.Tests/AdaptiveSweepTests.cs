using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dashboard.Data;
using Dashboard.Training.Engine;
using Dashboard.Training.Specs;
using Dashboard.Training.Worker;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Web.Tests;

/// <summary>
/// Adaptive sweeps through the test server (its SQLite file, Hangfire and two worker slots, the real trainer): ASHA
/// stopping runs at a rung, TPE proposing a budget of runs a few at a time, and what the sweep page shows of both.
/// </summary>
public sealed class AdaptiveSweepTests(DashboardFactory factory) : IClassFixture<DashboardFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    private async Task<long> LaunchSweepAsync(string json)
    {
        var response = await _client.PostSpecAsync(json);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("experiment_id").GetInt64();
    }

    private DashboardDb Db() => factory.Services.GetRequiredService<IDbContextFactory<DashboardDb>>().CreateDbContext();

    /// <summary>Waits until the sweep has <paramref name="runs"/> runs, all ended; its runs by id.</summary>
    private async Task<List<Run>> WaitEndedAsync(long experiment, int runs, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            await using var db = Db();
            var all = await db.Runs.AsNoTracking().Where(r => r.ExperimentId == experiment).OrderBy(r => r.Id).ToListAsync();
            if (all.Count == runs && all.All(r => RunStatus.IsFinished(r.Status))) return all;
            Assert.True(DateTime.UtcNow < deadline,
                $"sweep {experiment} not ended after {seconds} s: {string.Join(", ", all.Select(r => $"{r.DisplayName} {r.Status} epoch {r.Epoch}"))}");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task Asha_stops_the_runs_behind_at_the_first_rung_with_the_reason_and_the_best_run_goes_on_to_the_end()
    {
        // The first run learns (lr 0.1); the others barely move from their start (lr 1e-6 and so on), and are behind it.
        var experiment = await LaunchSweepAsync("""
            { "name": "asha", "dataset": { "name": "hyperspheres", "n": 2000, "p": 8, "d": 2, "classes": 2 },
              "model": { "name": "mlp", "layer_size": [32] }, "batch_size": 16, "max_epochs": 3, "checkpoint": { "every": 1 },
              "sweep": { "method": "grid", "parameters": { "optimizer.lr": [0.1, 1e-6, 2e-6, 3e-6, 4e-6, 5e-6] },
                         "early_stop": { "type": "asha", "metric": "val_loss", "mode": "min", "min_epochs": 1, "reduction_factor": 3 } } }
            """);
        var runs = await WaitEndedAsync(experiment, 6);

        var best = runs[0];
        Assert.Equal(RunStatus.Completed, best.Status);
        Assert.Equal(3, best.Epoch);
        var stopped = runs.Where(r => r.Status == RunStatus.Stopped).ToList();
        // At least half of the five behind: the first two to reach the rung have fewer than 3 to compare with.
        Assert.True(stopped.Count >= 3, string.Join(", ", runs.Select(r => $"{r.DisplayName} {r.Status}")));
        Assert.All(runs, r => Assert.Contains(r.Status, new[] { RunStatus.Completed, RunStatus.Stopped }));
        var storage = factory.Services.GetRequiredService<StorageOptions>();
        foreach (var run in stopped)
        {
            Assert.StartsWith("stopped early at epoch 1 (rung 0): val_loss ", run.Error);
            Assert.Contains("not in the top 1/3", run.Error);
            // Stopped at the rung, not an epoch or two later; its checkpoint of that epoch kept.
            Assert.Equal(1, run.Epoch);
            Assert.NotNull(Checkpoints.Latest(storage.CheckpointDir(run.Id)));
        }

        // The decisions are the stored rows' (recomputed, they say the same), one row per run and rung.
        await using var db = Db();
        var rows = await EarlyStopping.ValuesAsync(db, experiment);
        var spec = JsonSerializer.Deserialize<SweepSpec>((await db.Experiments.FindAsync(experiment))!.Sweep!, SpecJson.Options)!.EarlyStop!;
        Assert.Equal(3, spec.MaxEpochs);
        foreach (var run in runs)
        {
            var decision = Asha.Decide(spec, rows, run.Id.ToString())!;
            Assert.Equal(run.Status == RunStatus.Stopped, decision.Stop);
            if (decision.Stop) Assert.Equal($"{decision.StoppedText}: {decision.Reason}", run.Error);
        }

        // The sweep page shows the rungs: 6 reached the first, the stopped ones are counted there.
        var page = await _client.GetStringAsync($"/experiments/{experiment}");
        Assert.Contains("id=\"asha-rung-table\"", page);
        Assert.Contains($"data-rung=\"0\" data-reached=\"6\" data-continued=\"{6 - stopped.Count}\" data-stopped=\"{stopped.Count}\"", page);
        // And the runs table says where each stopped.
        Assert.Contains("stopped early at epoch 1 (rung 0)", page);
    }

    [Fact]
    public async Task A_tpe_sweep_with_budget_6_and_parallel_2_makes_exactly_6_runs_two_at_a_time_and_records_its_proposals()
    {
        var experiment = await LaunchSweepAsync("""
            { "name": "tpe", "dataset": { "name": "hyperspheres", "n": 200, "p": 8, "d": 2 },
              "model": { "name": "mlp", "layer_size": [8] }, "max_epochs": 1,
              "sweep": { "method": "tpe", "budget": 6, "parallel": 2,
                         "parameters": { "optimizer.lr": { "min": 0.001, "max": 0.5, "distribution": "log_uniform" } } } }
            """);
        var runs = await WaitEndedAsync(experiment, 6);
        // A proposal job run again (a retry, a second look) adds nothing: still 6 a moment later, and after one more.
        using (var scope = factory.Services.CreateScope())
            Assert.Empty(await scope.ServiceProvider.GetRequiredService<TpeProposer>().ProposeAsync(experiment));
        await Task.Delay(1000);
        await using var db = Db();
        runs = await db.Runs.AsNoTracking().Where(r => r.ExperimentId == experiment).OrderBy(r => r.SweepIndex).ToListAsync();
        Assert.Equal(6, runs.Count);
        Assert.Equal([0, 1, 2, 3, 4, 5], runs.Select(r => r.SweepIndex!.Value));
        Assert.All(runs, r => Assert.Equal(RunStatus.Completed, r.Status));
        // Two drawn at random at the launch; the rest proposed as runs ended, by the model once two had finished.
        Assert.Equal(["random", "random"], runs.Take(2).Select(r => r.ProposedBy));
        Assert.Contains(runs.Skip(2), r => r.ProposedBy == "tpe");
        // Never more than 2 at a time: when each later run was made, at most one earlier run had not ended.
        foreach (var run in runs.Skip(2))
            Assert.True(runs.Count(o => o.SweepIndex < run.SweepIndex && !(o.FinishedAt <= run.CreatedAt)) <= 1, $"run {run.SweepIndex} made with 2 others going");

        // The API gives each run's place and maker.
        var third = await _client.RunAsync(runs[2].Id);
        Assert.Equal(2, third.GetProperty("sweep_index").GetInt32());
        Assert.Equal(runs[2].ProposedBy, third.GetProperty("proposed_by").GetString());

        var page = await _client.GetStringAsync($"/experiments/{experiment}");
        Assert.Contains("id=\"tpe-proposals\"", page);
        Assert.Equal(6, System.Text.RegularExpressions.Regex.Matches(page, "class=\"tpe-proposal").Count);
        Assert.Contains("6 of 6 proposed, 2 at a time", page);
    }

    [Fact]
    public async Task A_tpe_proposal_too_large_for_any_host_is_shown_failed_with_why_and_the_sweep_goes_on_to_its_budget()
    {
        // The launch takes the first proposal (the narrow net); the second, drawn at random after it, would need some
        // 100 GB of activations at this batch, more than the test machine (the only host) has.
        string Json(long seed) => $$"""
            { "name": "tpe-memory", "dataset": { "name": "hyperspheres", "n": 250000, "p": 8, "d": 2 },
              "model": { "name": "mlp", "layer_size": [8] }, "batch_size": 200000, "max_epochs": 1,
              "sweep": { "method": "tpe", "budget": 4, "parallel": 1, "seed": {{seed}},
                         "parameters": { "model.layer_size": [[8], [60000]] } } }
            """;
        bool Large(PlannedRun run) => run.Spec.Model!.LayerSize![0] == 60000;
        var seed = Enumerable.Range(0, 200).Select(i => (long)i).First(seed =>
        {
            var spec = Sweeps.Complete(SpecJson.Parse(Json(seed)));
            var first = Sweeps.Propose(spec with { Sweep = null }, spec.Sweep!, [], []);
            var second = Sweeps.Propose(spec with { Sweep = null }, spec.Sweep!, [new TpeTrial(first.Params, 0.5)], []);
            return !Large(first) && Large(second);
        });
        var experiment = await LaunchSweepAsync(Json(seed));
        var runs = await WaitEndedAsync(experiment, 4);

        runs = [.. runs.OrderBy(r => r.SweepIndex)];
        Assert.Equal([0, 1, 2, 3], runs.Select(r => r.SweepIndex!.Value));
        Assert.Equal(RunStatus.Completed, runs[0].Status);
        var refused = runs[1];
        Assert.Equal(RunStatus.Failed, refused.Status);
        Assert.StartsWith("proposal not trained: batch_size: the run needs", refused.Error);
        Assert.Contains("train with a smaller batch", refused.Error);
        await using (var db = Db())
            Assert.False(await db.RunAttempts.AnyAsync(a => a.RunId == refused.Id), "a refused proposal must not be trained");
        // The sweep went on after it: the model, having seen that value fail, proposed the rest; all in the budget.
        Assert.Contains(runs.Skip(2), r => r.Status == RunStatus.Completed);

        var page = await _client.GetStringAsync($"/experiments/{experiment}");
        Assert.Contains("4 of 4 proposed, 1 at a time", page);
        Assert.Contains("class=\"tpe-error text-danger\">proposal not trained: batch_size: the run needs", page);
    }

    [Fact]
    public async Task A_bad_tpe_or_early_stop_value_is_a_400_naming_its_field_and_creates_no_run()
    {
        await using var db = Db();
        var before = await db.Runs.CountAsync();
        var response = await _client.PostSpecAsync("""
            { "name": "bad", "dataset": { "name": "hyperspheres", "n": 200, "p": 8, "d": 2 }, "model": { "name": "mlp", "layer_size": [8] }, "max_epochs": 3,
              "sweep": { "method": "tpe", "budget": 2, "parallel": 3, "parameters": { "optimizer.lr": [0.1, 0.01] },
                         "early_stop": { "type": "asha", "metric": "val_loss", "reduction_factor": 1 } } }
            """);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Contains("at most the budget", errors.GetProperty("sweep.parallel")[0].GetString());
        Assert.Contains("at least 2", errors.GetProperty("sweep.early_stop.reduction_factor")[0].GetString());
        Assert.Equal(before, await db.Runs.CountAsync());
    }
}
