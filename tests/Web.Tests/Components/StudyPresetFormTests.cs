using AngleSharp.Dom;
using Bunit;
using Dashboard.Training.Specs;
using Dashboard.Web.Components.Pages.Experiments;
using Dashboard.Web.Launch;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Web.Tests.Components;

/// <summary>bUnit: the notes' studies as filled-in forms (?preset=NAME), the picker, and the batch-size study's two arms launched into compare.</summary>
public sealed class StudyPresetFormTests(DashboardFactory factory) : AppTestContext(factory, user: "tester")
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    public static TheoryData<string> Names => [.. StudyPresets.All.Select(p => p.Name)];

    private IRenderedComponent<NewExperiment> Open(string preset)
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo($"experiments/new?preset={preset}");
        return Render<NewExperiment>();
    }

    private static void Fill(IRenderedComponent<NewExperiment> form, string selector, string value)
    {
        var element = form.Find(selector);
        if (element.TagName == "SELECT") element.Change(value);
        else element.Input(value);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void A_preset_fills_the_form_with_its_study_and_previews_its_runs_or_says_where_its_dataset_files_go(string name)
    {
        var preset = StudyPresets.Find(name)!;
        var form = Open(name);
        form.WaitForAssertion(() => Assert.Equal(preset.Description, form.Find("#preset-description").TextContent), Wait);
        Assert.Equal(name, form.Find("#study-preset option[selected]").GetAttribute("value"));
        Assert.Contains(preset.Title, form.Find("#cloned-from").TextContent);
        Assert.Equal(preset.Spec.Dataset!.Name, form.Find("#f-dataset-name option[selected]").GetAttribute("value"));
        Assert.Equal(preset.Spec.Model!.Name, form.Find("#f-model-name option[selected]").GetAttribute("value"));
        Assert.Equal(preset.Spec.LrSchedule.Name, form.Find("#f-lr_schedule-name option[selected]").GetAttribute("value"));
        Assert.Equal(preset.Spec.MaxEpochs.ToString(), form.Find("#f-max_epochs").GetAttribute("value"));
        Assert.Equal(preset.Spec.Sweep?.Parameters.Keys.ToArray() ?? [],
            form.FindAll(".sweep-key").Select(k => k.GetAttribute("value")).Where(k => !string.IsNullOrEmpty(k)).ToArray());

        form.Find("#preview-runs-button").Click();
        if (preset.Spec.Dataset.Name is "hyperspheres" or "fashion_mnist")
            form.WaitForAssertion(() => Assert.Equal(Sweeps.Expand(preset.Spec).Count.ToString(), form.Find("#preview-count").TextContent), Wait);
        else
            form.WaitForAssertion(() => Assert.Contains(form.FindAll(".field-error[data-field='dataset.name']"),
                e => e.TextContent.Contains($"the {preset.Spec.Dataset.Name} files are not in")), Wait);
    }

    [Fact]
    public void Picking_a_preset_opens_the_form_filled_in_from_it()
    {
        var form = Render<NewExperiment>();
        Assert.Empty(form.FindAll("#preset-description"));
        form.Find("#study-preset").Change("runtime");
        Assert.EndsWith("experiments/new?preset=runtime", Services.GetRequiredService<NavigationManager>().Uri);
    }

    [Fact]
    public async Task The_batch_size_study_launches_its_two_arms_from_the_changed_form_and_opens_them_in_compare_on_updates()
    {
        var form = Open("batch_size");
        form.WaitForAssertion(() => Assert.NotNull(form.Find("#f-batch_schedule-drop_last").GetAttribute("checked")), Wait);
        Assert.Equal(["decay", "growth"], form.FindAll("#preset-arms li").Select(l => l.GetAttribute("data-arm")));
        // Changed before launch: the data set on this machine, a small subset, two epochs.
        Fill(form, "#f-dataset-name", "fashion_mnist");
        Fill(form, "#f-dataset-size", "300");
        Fill(form, "#f-max_epochs", "2");
        Fill(form, "#f-name", "bszarms");
        var before = await RunCountAsync();

        form.Find("#launch-arms").Click();
        var nav = Services.GetRequiredService<NavigationManager>();
        form.WaitForAssertion(() => Assert.Contains("compare?runs=", nav.Uri), Wait);
        Assert.Empty(form.FindAll("#arms-errors"));
        var query = nav.Uri[(nav.Uri.IndexOf("compare?", StringComparison.Ordinal) + "compare?".Length)..];
        Assert.EndsWith("&x=updates", query);
        var ids = query["runs=".Length..query.IndexOf('&')].Split(',').Select(long.Parse).ToArray();
        Assert.Equal(2, ids.Length);
        Assert.Equal(before + 2, await RunCountAsync());

        var client = Factory.CreateClient();
        var decay = await client.WaitFinishedAsync(ids[0]);
        var growth = await client.WaitFinishedAsync(ids[1]);
        Assert.Equal(("completed", "completed"), (decay.GetProperty("status").GetString(), growth.GetProperty("status").GetString()));
        var decaySpec = decay.GetProperty("spec");
        Assert.Equal("exponential", decaySpec.GetProperty("lr_schedule").GetProperty("name").GetString());
        Assert.Equal(0.9, decaySpec.GetProperty("lr_schedule").GetProperty("gamma").GetDouble());
        Assert.Equal("constant", decaySpec.GetProperty("batch_schedule").GetProperty("name").GetString());
        var growthSpec = growth.GetProperty("spec");
        Assert.Equal("constant", growthSpec.GetProperty("lr_schedule").GetProperty("name").GetString());
        Assert.Equal(1.037, growthSpec.GetProperty("batch_schedule").GetProperty("growth").GetDouble());
        Assert.Equal(4526, growthSpec.GetProperty("batch_schedule").GetProperty("max").GetInt32());
        foreach (var spec in new[] { decaySpec, growthSpec })
        {
            Assert.Equal(("fashion_mnist", 300, 2), (spec.GetProperty("dataset").GetProperty("name").GetString(), spec.GetProperty("dataset").GetProperty("size").GetInt32(), spec.GetProperty("max_epochs").GetInt32()));
            Assert.True(spec.GetProperty("batch_schedule").GetProperty("drop_last").GetBoolean());
            Assert.Equal(("sgd", 0.1), (spec.GetProperty("optimizer").GetProperty("name").GetString(), spec.GetProperty("optimizer").GetProperty("lr").GetDouble()));
        }
    }

    [Fact]
    public async Task An_arm_the_launch_checks_refuse_launches_neither_and_says_why()
    {
        var form = Open("batch_size");
        form.WaitForAssertion(() => form.Find("#launch-arms"), Wait);
        var before = await RunCountAsync();
        form.Find("#launch-arms").Click();   // CIFAR-10's files are not on this machine
        form.WaitForAssertion(() => Assert.Contains("decay: dataset.name: the cifar10 files are not in", form.Find("#arms-errors").TextContent), Wait);
        Assert.Contains("growth: dataset.name: the cifar10 files are not in", form.Find("#arms-errors").TextContent);
        Assert.Equal(before, await RunCountAsync());
    }
}
