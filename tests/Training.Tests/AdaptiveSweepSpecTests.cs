using Dashboard.Training.Worker;
using Dashboard.Training.Specs;

namespace Dashboard.Training.Tests;

/// <summary>The sweep block's tpe method and early_stop: what a launch makes, and each bad value refused at its field.</summary>
public class AdaptiveSweepSpecTests
{
    private const string Base = """ "dataset": {"name": "hyperspheres", "n": 200, "p": 8, "d": 2}, "model": {"name": "mlp", "layer_size": [16]}, "max_epochs": 9""";

    private static IReadOnlyList<PlannedRun> Expand(string sweep) => Sweeps.Expand(SpecJson.Parse($"{{{Base}, \"sweep\": {sweep}}}"));

    private static IReadOnlyDictionary<string, string[]> Errors(string sweep) =>
        Assert.Throws<InvalidSpecException>(() => Expand(sweep)).Errors.ToDictionary();

    [Fact]
    public void A_tpe_sweep_launches_its_first_parallel_runs_numbered_and_drawn_at_random()
    {
        var runs = Expand("""{"method": "tpe", "budget": 6, "parallel": 2, "parameters": {"optimizer.lr": {"min": 0.001, "max": 0.1, "distribution": "log_uniform"}}}""");
        Assert.Equal([0, 1], runs.Select(r => r.SweepIndex));
        Assert.All(runs, r => Assert.Equal("random", r.ProposedBy));
        Assert.All(runs, r => Assert.InRange(r.Spec.Optimizer.Lr, 0.001, 0.1));
        Assert.NotEqual(runs[0].Spec.Optimizer.Lr, runs[1].Spec.Optimizer.Lr);
        // The same spec proposes the same runs (a preview shows what a launch makes).
        Assert.Equal(runs.Select(r => r.ParamsJson()), Expand("""{"method": "tpe", "budget": 6, "parallel": 2, "parameters": {"optimizer.lr": {"min": 0.001, "max": 0.1, "distribution": "log_uniform"}}}""").Select(r => r.ParamsJson()));
    }

    [Fact]
    public void After_its_startup_draws_tpe_proposes_from_the_model_at_the_next_index()
    {
        var spec = Sweeps.Complete(SpecJson.Parse($$$"""{ {{{Base}}}, "sweep": {"method": "tpe", "budget": 6, "parameters": {"optimizer.lr": {"min": 0.001, "max": 0.1, "distribution": "log_uniform"} } } }"""));
        var finished = new[] { 0.002, 0.05 }.Select((lr, i) => new TpeTrial(
            new Dictionary<string, System.Text.Json.Nodes.JsonNode?> { ["optimizer.lr"] = lr }, i)).ToList();
        var next = Sweeps.Propose(spec with { Sweep = null }, spec.Sweep!, finished, []);
        Assert.Equal(2, next.SweepIndex);
        Assert.Equal("tpe", next.ProposedBy);
    }

    [Fact]
    public void A_later_proposal_whose_values_make_a_bad_spec_comes_back_refused_with_its_values_and_the_field()
    {
        // Launch tries each value alone; this one is refused only when proposed later, as a combination could be.
        var spec = Sweeps.Complete(SpecJson.Parse($$$"""{ {{{Base}}}, "sweep": {"method": "tpe", "budget": 4, "parameters": {"optimizer.lr": [-1]} } }"""));
        var next = Sweeps.Propose(spec with { Sweep = null }, spec.Sweep!, [], []);
        Assert.Equal(0, next.SweepIndex);
        Assert.Equal("""{"optimizer.lr":-1}""", next.ParamsJson());
        Assert.NotNull(next.Refused);
        var why = Assert.IsType<string>(TpeProposer.Refusal(next, new Dictionary<string, long>()));
        Assert.StartsWith("proposal not trained: sweep.parameters.optimizer.lr: ", why);
        // A valid proposal with no known memory limit trains; past the limit it is refused at the field to change.
        var small = Sweeps.Propose(spec with { Sweep = null }, spec.Sweep! with { Parameters = new() { ["optimizer.lr"] = System.Text.Json.JsonDocument.Parse("[0.1]").RootElement } }, [], []);
        Assert.Null(TpeProposer.Refusal(small, new Dictionary<string, long>()));
        var tooSmall = TpeProposer.Refusal(small, new Dictionary<string, long> { ["cpu"] = 1024 });
        Assert.StartsWith("proposal not trained: ", tooSmall);
        Assert.Contains("the run needs", tooSmall);
        Assert.Contains("cpu has 1.0 kB", tooSmall);
    }

    [Fact]
    public void Early_stop_takes_the_runs_max_epochs_when_left_out()
    {
        var spec = Sweeps.Complete(SpecJson.Parse($$$"""{ {{{Base}}}, "sweep": {"parameters": {"seed": [0, 1]}, "early_stop": {"type": "asha", "metric": "val_loss"} } }"""));
        Assert.Equal(9, spec.Sweep!.EarlyStop!.MaxEpochs);
        Assert.Equal([1, 3, 9], spec.Sweep.EarlyStop.RungEpochs);
        Assert.Equal(2, Sweeps.Expand(spec).Count);
    }

    [Theory]
    [InlineData("""{"method": "tpe", "parameters": {"seed": [0, 1]}}""", "sweep.budget", "needs a budget")]
    [InlineData("""{"method": "tpe", "budget": 4, "parallel": 5, "parameters": {"seed": [0, 1]}}""", "sweep.parallel", "at most the budget")]
    [InlineData("""{"method": "tpe", "budget": 4, "count": 4, "parameters": {"seed": [0, 1]}}""", "sweep.count", "takes a budget")]
    [InlineData("""{"method": "tpe", "budget": 4, "metric": "loss_typo", "parameters": {"seed": [0, 1]}}""", "sweep.metric", "unknown metric")]
    [InlineData("""{"method": "tpe", "budget": 4, "parameters": {"batch_size": {"min": 0, "max": 64}}}""", "sweep.parameters.batch_size", "0: ")]
    [InlineData("""{"method": "grid", "budget": 4, "parameters": {"seed": [0, 1]}}""", "sweep.budget", "only a tpe sweep")]
    [InlineData("""{"method": "bayes", "parameters": {"seed": [0, 1]}}""", "sweep.method", "grid, random or tpe")]
    [InlineData("""{"parameters": {"seed": [0, 1]}, "early_stop": {"reduction_factor": 1}}""", "sweep.early_stop.reduction_factor", "at least 2")]
    [InlineData("""{"parameters": {"seed": [0, 1]}, "early_stop": {"metric": "val_los"}}""", "sweep.early_stop.metric", "unknown metric")]
    [InlineData("""{"parameters": {"seed": [0, 1]}, "early_stop": {"min_epochs": 9}}""", "sweep.early_stop.max_epochs", "must exceed min_epochs")]
    [InlineData("""{"parameters": {"seed": [0, 1]}, "early_stop": {"max_epochs": 27}}""", "sweep.early_stop.max_epochs", "exceeds the runs' max_epochs (9)")]
    [InlineData("""{"parameters": {"seed": [0, 1]}, "early_stop": {"type": "hyperband"}}""", "sweep.early_stop.type", "must be asha")]
    public void A_bad_value_is_refused_at_its_field(string sweep, string field, string message)
    {
        var errors = Errors(sweep);
        Assert.True(errors.ContainsKey(field), $"no error at {field}: {string.Join("; ", errors.Select(kv => kv.Key + ": " + string.Join(", ", kv.Value)))}");
        Assert.Contains(errors[field], m => m.Contains(message));
    }
}
