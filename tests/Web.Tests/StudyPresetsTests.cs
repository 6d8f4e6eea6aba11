using System.Text.Json.Nodes;
using Dashboard.Training.Specs;
using Dashboard.Web.Components.Pages.Experiments;
using Dashboard.Web.Launch;

namespace Dashboard.Web.Tests;

/// <summary>The notes' studies as presets: every one (and every arm) a spec the validator passes, as the notes set them up.</summary>
public class StudyPresetsTests
{
    public static TheoryData<string> Names => [.. StudyPresets.All.Select(p => p.Name)];

    [Theory]
    [MemberData(nameof(Names))]
    public void Every_preset_and_each_of_its_arms_passes_the_validator_and_the_form_gives_it_back_unchanged(string name)
    {
        var preset = StudyPresets.Find(name)!;
        var json = SpecJson.SerializeAll(preset.Spec);
        var spec = SpecJson.Parse(json);
        Assert.NotEmpty(Sweeps.Expand(spec));
        foreach (var arm in preset.Arms) Assert.Single(Sweeps.Expand(SpecJson.Parse(SpecJson.SerializeAll(arm.Apply(spec)))));

        var errors = new SpecErrors();
        var plan = ExperimentForm.FromSpec(json).ToRuns(errors);
        Assert.False(errors.Any, errors.ToString());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(SpecJson.Serialize(spec)), JsonNode.Parse(SpecJson.Serialize(plan!.Value.Spec))),
            $"{SpecJson.Serialize(spec)}\n{SpecJson.Serialize(plan.Value.Spec)}");
    }

    [Fact]
    public void The_batch_size_study_has_the_notes_two_arms_on_plain_sgd_compared_on_parameter_updates()
    {
        var preset = StudyPresets.Find("batch_size")!;
        Assert.Equal("updates", preset.CompareAxis);
        Assert.Equal(("sgd", 0.1, 128, "simple_cnn", true), (preset.Spec.Optimizer.Name, preset.Spec.Optimizer.Lr, preset.Spec.BatchSize, preset.Spec.Model!.Name, preset.Spec.BatchSchedule.DropLast));
        var decay = preset.Arms.Single(a => a.Name == "decay").Apply(preset.Spec);
        Assert.Equal(("exponential", 0.9, "constant"), (decay.LrSchedule.Name, decay.LrSchedule.Gamma, decay.BatchSchedule.Name));
        var growth = preset.Arms.Single(a => a.Name == "growth").Apply(preset.Spec);
        Assert.Equal(("constant", "exponential", 1.037, (int?)4526), (growth.LrSchedule.Name, growth.BatchSchedule.Name, growth.BatchSchedule.Growth, growth.BatchSchedule.Max));
        Assert.True(decay.BatchSchedule.DropLast && growth.BatchSchedule.DropLast);
    }

    [Fact]
    public void The_scaling_grid_is_width_by_dataset_size_by_seeds_on_fashion_mnist()
    {
        var runs = Sweeps.Expand(StudyPresets.Find("scaling")!.Spec);
        Assert.Equal(5 * 4 * 2, runs.Count);
        Assert.All(runs, r => Assert.Equal(("fashion_mnist", "cnn", 2), (r.Spec.Dataset!.Name, r.Spec.Model!.Name, r.Spec.Model.Depth)));
        Assert.Equal([8, 16, 32, 64, 128], runs.Select(r => r.Spec.Model!.Width).Distinct().Order());
        Assert.Equal([6250, 12500, 25000, 50000], runs.Select(r => r.Spec.Dataset!.Size!.Value).Distinct().Order());
    }

    [Fact]
    public void The_runtime_grid_is_batch_size_by_dataset_n_on_hyperspheres()
    {
        var runs = Sweeps.Expand(StudyPresets.Find("runtime")!.Spec);
        Assert.Equal(8, runs.Count);
        Assert.All(runs, r => Assert.Equal(("hyperspheres", 128, 5), (r.Spec.Dataset!.Name, r.Spec.Dataset.P, r.Spec.Dataset.D)));
        Assert.Equal([2000, 20000], runs.Select(r => r.Spec.Dataset!.N).Distinct().Order());
    }
}
