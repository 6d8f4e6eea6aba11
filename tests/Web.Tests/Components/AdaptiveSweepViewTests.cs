using Bunit;
using Dashboard.Training.Specs;
using Dashboard.Web.Components.Pages.Experiments;

namespace Dashboard.Web.Tests.Components;

/// <summary>bUnit: the sweep page's rungs of ASHA as a researcher reads them, and the form's tpe and early-stopping fields.</summary>
public sealed class AdaptiveSweepViewTests(DashboardFactory factory) : AppTestContext(factory, user: "tester")
{
    private static readonly AshaSpec Spec = new() { Metric = "val_loss", MinEpochs = 1, ReductionFactor = 3, MaxEpochs = 9 };

    [Fact]
    public void The_rungs_show_how_many_runs_reached_each_which_went_on_and_which_stopped_and_why()
    {
        // Six runs reach epoch 1 in turn; the last three are worse than the first: with 3 or more to compare, each is
        // judged against the top 1/3 of those before it.
        var values = new Dictionary<string, IReadOnlyList<EpochValue>>();
        double[] atOne = [0.5, 0.6, 0.9, 0.8, 0.95, 0.4];
        for (int i = 0; i < atOne.Length; i++)
        {
            var run = (i + 1).ToString();
            values[run] = i == 0 ? [new EpochValue(1, atOne[i], i + 1), new EpochValue(3, 0.3, 10)] : [new EpochValue(1, atOne[i], i + 1)];
        }
        var rungs = Asha.Rungs(Spec, values);
        var names = values.Keys.ToDictionary(k => k, k => $"hps/0000{k}");

        var view = Render<AshaRungsView>(p => p.Add(v => v.Spec, Spec).Add(v => v.Rungs, rungs).Add(v => v.Names, names));

        Assert.Contains("rungs at epochs 1, 3, 9", view.Find("#asha-rule").TextContent);
        var first = view.Find(".asha-rung[data-rung='0']");
        Assert.Equal("6", first.GetAttribute("data-reached"));
        Assert.Equal("3", first.GetAttribute("data-stopped"));   // 0.9, 0.8 and 0.95: none in the top 1/3
        Assert.Equal("3", first.GetAttribute("data-continued"));
        Assert.Equal("1", view.Find(".asha-rung[data-rung='1']").GetAttribute("data-reached"));
        var stopped = view.Find(".asha-decision[data-run='3'][data-rung='0']");
        Assert.Equal("true", stopped.GetAttribute("data-stop"));
        Assert.Contains("stopped early at epoch 1 (rung 0)", stopped.TextContent);
        Assert.Contains("val_loss 0.9 not in the top 1/3 (1 of 3 runs) at rung 0 (cut-off 0.5)", stopped.TextContent);
        Assert.Contains("hps/00003", stopped.TextContent);
        Assert.Contains("fewer than 3 to compare; continues", view.Find(".asha-decision[data-run='2'][data-rung='0']").TextContent);
        // The chart: a dot per decision, went on and stopped apart.
        var chart = view.Find("[data-chart='asha-chart']");
        Assert.NotNull(chart);
    }

    [Fact]
    public void Before_any_rung_the_view_says_when_the_first_comes()
    {
        var view = Render<AshaRungsView>(p => p.Add(v => v.Spec, Spec).Add(v => v.Rungs, Asha.Rungs(Spec, new Dictionary<string, IReadOnlyList<EpochValue>>())));
        Assert.Contains("first is at epoch 1", view.Find("#asha-empty").TextContent);
        Assert.Empty(view.FindAll("[data-chart='asha-chart']"));
    }

    [Fact]
    public async Task The_form_refuses_a_tpe_sweep_without_a_budget_and_a_bad_reduction_factor_at_their_fields()
    {
        var before = await RunCountAsync();
        var form = Render<NewExperiment>();
        form.Find("#sweep-method").Change("tpe");
        form.Find(".sweep-key").Input("optimizer.lr");
        form.Find(".sweep-values").Input("0.01, 0.1");
        form.Find("#early-stop").Change(true);
        form.Find("#early-stop-reduction-factor").Input("1");
        form.Find("#launch").Click();
        form.WaitForAssertion(() => Assert.Contains(form.FindAll(".field-error[data-field='sweep.budget']"), e => e.TextContent.Contains("needs a budget")));
        Assert.Contains(form.FindAll(".field-error[data-field='sweep.early_stop.reduction_factor']"), e => e.TextContent.Contains("at least 2"));
        Assert.Equal("true", form.Find("#sweep-budget").GetAttribute("aria-invalid"));
        Assert.Equal("1", form.Find("#early-stop-reduction-factor").GetAttribute("value"));
        Assert.Equal(before, await RunCountAsync());

        // Filled in, it previews TPE's first runs.
        form.Find("#sweep-budget").Input("4");
        form.Find("#sweep-parallel").Input("2");
        form.Find("#early-stop-reduction-factor").Input("3");
        form.Find("#preview-runs-button").Click();
        form.WaitForAssertion(() => Assert.Equal("2", form.Find("#preview-count").TextContent));
        Assert.Contains("the rest of the budget of 4", form.Find("#preview").TextContent);
    }

    [Fact]
    public void Clone_and_edit_fills_the_tpe_and_early_stopping_fields_and_gives_the_same_sweep_back()
    {
        const string spec = """
            { "name": "again", "dataset": { "name": "hyperspheres", "n": 200, "p": 8, "d": 2 }, "model": { "name": "mlp", "layer_size": [8] }, "max_epochs": 9,
              "sweep": { "method": "tpe", "budget": 12, "parallel": 3, "metric": "val_accuracy", "parameters": { "optimizer.lr": { "min": 0.001, "max": 0.1, "distribution": "log_uniform" } },
                         "early_stop": { "type": "asha", "metric": "val_loss", "mode": "min", "min_epochs": 1, "reduction_factor": 3, "max_epochs": 9 } } }
            """;
        var form = ExperimentForm.FromSpec(spec);
        Assert.Equal(("tpe", "12", "3", "val_accuracy"), (form.SweepMethod, form.SweepBudget, form.SweepParallel, form.SweepMetric));
        Assert.True(form.EarlyStop);
        Assert.Equal(("val_loss", "min", "1", "3", "9"), (form.EarlyStopMetric, form.EarlyStopMode, form.EarlyStopMinEpochs, form.EarlyStopReductionFactor, form.EarlyStopMaxEpochs));
        var errors = new SpecErrors();
        var planned = form.ToRuns(errors);
        Assert.False(errors.Any, errors.ToString());
        var sweep = planned!.Value.Spec.Sweep!;
        Assert.Equal((12, 3, "val_accuracy", true), (sweep.Budget, sweep.Parallel, sweep.Objective, sweep.Maximise));
        Assert.Equal(new AshaSpec { Metric = "val_loss", Mode = "min", MinEpochs = 1, ReductionFactor = 3, MaxEpochs = 9 }, sweep.EarlyStop);
        Assert.Equal(3, planned.Value.Runs.Count);
    }

    [Fact]
    public void A_grid_shuffled_in_the_form_previews_its_runs_in_the_seeded_order_and_clones_back_shuffled()
    {
        var form = Render<NewExperiment>();
        form.Find("#sweep-method").Change("grid");
        form.Find(".sweep-key").Input("seed");
        form.Find(".sweep-values").Input("0, 1, 2, 3, 4, 5");
        form.Find("#preview-runs-button").Click();
        form.WaitForAssertion(() => Assert.Equal("6", form.Find("#preview-count").TextContent), TimeSpan.FromSeconds(10));
        string Order() => string.Join(",", form.FindAll("#preview-runs tbody tr").Select(r => r.Children[1].TextContent));
        Assert.Equal("0,1,2,3,4,5", Order());

        form.Find("#sweep-shuffle").Change(true);
        form.Find("#preview-runs-button").Click();
        form.WaitForAssertion(() => Assert.NotEqual("0,1,2,3,4,5", Order()), TimeSpan.FromSeconds(10));
        Assert.Equal("0,1,2,3,4,5", string.Join(",", Order().Split(',').Order()));

        var clone = ExperimentForm.FromSpec("""
            { "dataset": { "name": "hyperspheres", "n": 200, "p": 8, "d": 2 }, "model": { "name": "mlp", "layer_size": [8] },
              "sweep": { "method": "grid", "shuffle": true, "parameters": { "seed": [0, 1] } } }
            """);
        Assert.True(clone.SweepShuffle);
        var errors = new SpecErrors();
        Assert.True(clone.ToRuns(errors)!.Value.Spec.Sweep!.Shuffle, errors.ToString());
    }
}
