using Dashboard.Training.Specs;

namespace Dashboard.Training.Tests;

public class SweepTests
{
    private const string Base = """ "dataset": {"name": "hyperspheres", "n": 200, "p": 8, "d": 2}, "model": {"name": "mlp", "layer_size": [16]}""";

    private static IReadOnlyList<PlannedRun> Expand(string sweep) => Sweeps.Expand(SpecJson.Parse($"{{{Base}, \"sweep\": {sweep}}}"));

    private static IReadOnlyDictionary<string, string[]> Errors(string sweep) =>
        Assert.Throws<InvalidSpecException>(() => Expand(sweep)).Errors.ToDictionary();

    [Fact]
    public void A_grid_runs_every_combination_with_the_last_key_varying_fastest()
    {
        var runs = Expand("""{"method": "grid", "parameters": {"optimizer.lr": [0.01, 0.1], "seed": [0, 1, 2]}}""");
        Assert.Equal(6, runs.Count);
        Assert.Equal([0.01, 0.01, 0.01, 0.1, 0.1, 0.1], runs.Select(r => r.Spec.Optimizer.Lr));
        Assert.Equal([0L, 1, 2, 0, 1, 2], runs.Select(r => r.Spec.Seed));
        Assert.Equal("""{"optimizer.lr":0.1,"seed":2}""", runs[5].ParamsJson());
        // The runs' specs are plain specs: no sweep block, every other field as in the base.
        Assert.All(runs, r => Assert.Null(r.Spec.Sweep));
        Assert.All(runs, r => Assert.Equal(200, r.Spec.Dataset!.N));
    }

    [Fact]
    public void A_shuffled_grid_runs_the_same_combinations_in_a_seeded_order_and_only_a_grid_shuffles()
    {
        const string grid = """{"method": "grid", "parameters": {"optimizer.lr": [0.01, 0.1, 1], "seed": [0, 1, 2, 3]}}""";
        var plain = Expand(grid).Select(r => r.ParamsJson()).ToList();
        var shuffled = Expand(grid.Replace("\"grid\",", "\"grid\", \"shuffle\": true, \"seed\": 5,")).Select(r => r.ParamsJson()).ToList();
        Assert.Equal(plain.Order(), shuffled.Order());
        Assert.NotEqual(plain, shuffled);
        // The same seed, the same order (a preview shows what the launch queues); another seed, another order.
        Assert.Equal(shuffled, Expand(grid.Replace("\"grid\",", "\"grid\", \"shuffle\": true, \"seed\": 5,")).Select(r => r.ParamsJson()));
        Assert.NotEqual(shuffled, Expand(grid.Replace("\"grid\",", "\"grid\", \"shuffle\": true, \"seed\": 6,")).Select(r => r.ParamsJson()));
        Assert.Contains("only a grid is shuffled", Errors("""{"method": "random", "count": 3, "shuffle": true, "parameters": {"seed": [1, 2]}}""")["sweep.shuffle"].Single());
    }

    [Fact]
    public void A_grid_over_ranges_takes_log_spaced_values_and_every_whole_number()
    {
        var runs = Expand("""{"parameters": {"optimizer.lr": {"min": 0.001, "max": 0.1, "distribution": "log_uniform", "num": 3}, "model.layer_size.0": {"min": 8, "max": 10}}}""");
        Assert.Equal(9, runs.Count);
        Assert.Equal([0.001, 0.01, 0.1], runs.Select(r => r.Spec.Optimizer.Lr).Distinct());
        Assert.Equal([8, 9, 10], runs.Take(3).Select(r => r.Spec.Model!.LayerSize[0]));
    }

    [Fact]
    public void A_log_spaced_grid_of_dataset_sizes_gives_whole_sizes()
    {
        var runs = Expand("""{"parameters": {"dataset.size": {"min": 6250, "max": 50000, "distribution": "log_uniform", "num": 4}}}""");
        Assert.Equal([6250, 12500, 25000, 50000], runs.Select(r => r.Spec.Dataset!.Size));
    }

    [Fact]
    public void A_random_sweep_draws_count_runs_inside_the_ranges_and_the_same_ones_again()
    {
        const string sweep = """{"method": "random", "count": 50, "seed": 7, "parameters": {"optimizer.lr": {"min": 1e-4, "max": 1e-1, "distribution": "log_uniform"}, "model.name": ["mlp"], "batch_size": {"min": 16, "max": 64}}}""";
        var runs = Expand(sweep);
        Assert.Equal(50, runs.Count);
        Assert.All(runs, r => Assert.InRange(r.Spec.Optimizer.Lr, 1e-4, 1e-1));
        Assert.All(runs, r => Assert.InRange(r.Spec.BatchSize, 16, 64));
        // Log-uniform: about a third of the draws in each decade, not nine tenths in the top one as uniform would give.
        Assert.InRange(runs.Count(r => r.Spec.Optimizer.Lr < 1e-3), 5, 30);
        Assert.Equal(runs.Select(r => r.ParamsJson()), Expand(sweep).Select(r => r.ParamsJson()));
    }

    [Fact]
    public void A_bad_value_is_reported_against_its_parameter_with_the_value()
    {
        var errors = Errors("""{"parameters": {"optimizer.lr": [0.1, -1]}}""");
        Assert.Contains("-1: must be a positive number", errors["sweep.parameters.optimizer.lr"].Single());
    }

    [Fact]
    public void An_unknown_key_a_wrong_shape_and_an_oversized_grid_are_refused()
    {
        Assert.Contains("unknown key", Errors("""{"parameters": {"optimizer.lrr": [0.1]}}""")["sweep.parameters.optimizer.lrr"].Single());
        Assert.Contains("needs num", Errors("""{"parameters": {"optimizer.lr": {"min": 0.1, "max": 1}}}""")["sweep.parameters.optimizer.lr"].Single());
        Assert.Contains("count", Errors("""{"method": "random", "parameters": {"seed": [1, 2]}}""")["sweep.count"].Single());
        Assert.Contains("grid, random or tpe", Errors("""{"method": "bayes", "parameters": {"seed": [1]}}""")["sweep.method"].Single());
        Assert.Contains("at most 2,000", Errors("""{"parameters": {"seed": {"min": 0, "max": 99}, "batch_size": {"min": 1, "max": 100}}}""")["sweep.parameters"].Single());
        Assert.Contains("at least one", Errors("""{"parameters": {}}""")["sweep.parameters"].Single());
    }

    [Fact]
    public void A_combination_that_is_invalid_only_together_names_the_combination()
    {
        // d may not exceed p: neither value is wrong alone.
        var errors = Errors("""{"parameters": {"dataset.d": [2, 9]}}""");
        Assert.Contains("9", errors["sweep.parameters.dataset.d"].Single());
    }

    [Fact]
    public void A_spec_without_a_sweep_is_one_run_with_no_parameters()
    {
        var runs = Sweeps.Expand(SpecJson.Parse($"{{{Base}}}"));
        Assert.Single(runs);
        Assert.Equal("{}", runs[0].ParamsJson());
    }
}
