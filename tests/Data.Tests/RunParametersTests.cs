namespace Dashboard.Data.Tests;

public class RunParametersTests
{
    private static Run RunOf(string spec, string @params = "{}") => new() { Project = "p", Spec = spec, Params = @params };

    [Fact]
    public void A_spec_flattens_to_dotted_keys_with_lists_kept_whole_and_sweep_values_on_top()
    {
        var flat = RunParameters.Of(RunOf(
            """{"dataset":{"name":"hyperspheres","n":200},"model":{"name":"mlp","layer_size":[8,4]},"optimizer":{"lr":0.1},"seed":0}""",
            """{"optimizer.lr":0.01}"""));
        Assert.Equal(["dataset.n", "dataset.name", "model.layer_size", "model.name", "optimizer.lr", "seed"], flat.Keys);
        Assert.Equal("[8,4]", RunParameters.Display(flat["model.layer_size"]));
        Assert.Equal("hyperspheres", RunParameters.Display(flat["dataset.name"]));
        Assert.Equal("0.01", RunParameters.Display(flat["optimizer.lr"]));
    }

    [Fact]
    public void The_keys_that_tell_runs_apart_are_the_sweeps_then_every_other_differing_one()
    {
        Run[] runs =
        [
            RunOf("""{"a":{"x":1,"y":2},"seed":1,"z":"same"}""", """{"seed":1}"""),
            RunOf("""{"a":{"x":1,"y":3},"seed":2,"z":"same"}""", """{"seed":2}"""),
            RunOf("""{"a":{"x":1},"seed":3,"z":"same"}""", """{"seed":3}"""),
        ];
        var flat = runs.Select(RunParameters.Of).ToList();
        Assert.Equal(["seed", "a.y"], RunParameters.Differing(runs, flat));
        Assert.True(RunParameters.Same(flat, "a.x"));
        Assert.False(RunParameters.Same(flat, "a.y"));   // missing in one run counts as different
    }
}
