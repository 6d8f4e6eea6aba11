using Dashboard.Training.Specs;

namespace Dashboard.Training.Tests;

/// <summary>loss_func.minima_from entries naming a run's captured minimum: parsing, and the validator's answer to a bad one.</summary>
public class MinimumReferenceTests
{
    [Theory]
    [InlineData("mnist/00003@epoch-3", "mnist", 3, 3, "minimum-epoch-0003.f32")]
    [InlineData("mnist/00003@epoch-0003", "mnist", 3, 3, "minimum-epoch-0003.f32")]
    [InlineData("my-proj_2/12@epoch-120", "my-proj_2", 12, 120, "minimum-epoch-0120.f32")]
    public void A_reference_names_a_run_and_the_epoch_whose_minimum_it_captured(string text, string project, int number, int epoch, string file)
    {
        var r = MinimumReference.Parse(text)!;
        Assert.Equal((project, number, epoch), (r.Project, r.Number, r.Epoch));
        Assert.Equal(file, r.File);
        Assert.Equal($"{project}/{number:D5}@epoch-{epoch}", r.ToString());
        Assert.Equal(epoch, MinimumReference.EpochOfFile(file));
    }

    [Theory]
    [InlineData("mnist/00003@epoch-0")]
    [InlineData("mnist/00003@epoch-")]
    [InlineData("mnist/00003@best")]
    [InlineData("mnist@epoch-3")]
    [InlineData("mnist/00003@epoch-3x")]
    [InlineData("../runs/1@epoch-3")]
    [InlineData("mnist/00003")]
    public void Anything_else_is_no_reference(string text) => Assert.Null(MinimumReference.Parse(text));

    [Theory]
    [InlineData("minimum-from-01.f32")]
    [InlineData("minimum-epoch-0003.pt")]
    [InlineData("epoch-0003.pt")]
    public void Only_captured_minima_files_have_an_epoch(string file) => Assert.Null(MinimumReference.EpochOfFile(file));

    private static string Spec(string minimaFrom) => $$"""
        { "dataset": "hyperspheres", "model": "mlp", "loss_func": { "distance": true, "minima_from": [{{minimaFrom}}] } }
        """;

    [Fact]
    public void A_malformed_reference_is_refused_at_minima_from_saying_how_one_is_written()
    {
        var errors = Assert.Throws<InvalidSpecException>(() => SpecJson.Parse(Spec("\"mnist/00003@epoch-three\""))).Errors;
        Assert.Equal(["'mnist/00003@epoch-three': a captured minimum is named " + MinimumReference.Format], errors.For("loss_func.minima_from"));
    }

    [Fact]
    public void Runs_references_and_files_still_pass_the_validator()
    {
        var spec = SpecJson.Parse(Spec("\"mnist/00003@epoch-3\", \"mnist/00003\", \"data/runs/1/checkpoints/epoch-0001.pt\""));
        Assert.Equal(["mnist/00003@epoch-3", "mnist/00003", "data/runs/1/checkpoints/epoch-0001.pt"], spec.LossFunc.MinimaFrom);
    }

    [Fact]
    public void Without_a_database_a_reference_is_a_clear_error_and_a_file_is_taken_as_it_is()
    {
        var e = Assert.Throws<ArgumentException>(() => Engine.LoadedMinimum.AsFile("mnist/00003@epoch-3"));
        Assert.Contains("mnist/00003@epoch-3 names a run's captured minimum", e.Message);
        Assert.Equal("x/minimum-epoch-0003.f32", Engine.LoadedMinimum.AsFile("x/minimum-epoch-0003.f32").File);
    }
}
