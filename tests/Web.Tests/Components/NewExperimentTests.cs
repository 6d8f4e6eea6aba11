using AngleSharp.Dom;
using Bunit;
using Dashboard.Data;
using Dashboard.Web.Components.Pages.Experiments;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Web.Tests.Components;

/// <summary>
/// bUnit: the new-experiment form as the circuit runs it, on the real services of a test server (its SQLite file,
/// launcher and launch checks): fields filled in, preview and launch clicked, what the researcher sees asserted.
/// </summary>
public sealed class NewExperimentTests(DashboardFactory factory) : AppTestContext(factory, user: "tester")
{
    private static void Fill(IRenderedComponent<NewExperiment> form, string selector, string value)
    {
        var element = form.Find(selector);
        if (element.TagName == "SELECT") element.Change(value);
        else element.Input(value);
    }

    private static IElement[] ErrorsOf(IRenderedComponent<NewExperiment> form, string field) =>
        [.. form.FindAll($".field-error[data-field='{field}']")];

    [Fact]
    public void The_default_form_previews_as_one_run()
    {
        var form = Render<NewExperiment>();
        form.Find("#preview-runs-button").Click();
        form.WaitForAssertion(() => Assert.Equal("1", form.Find("#preview-count").TextContent));
        Assert.Empty(form.FindAll(".field-error"));
    }

    [Theory]
    [InlineData("#f-dataset-folder", "/etc", "dataset.folder", "outside the data folders")]
    [InlineData("#f-name", "../../etc", "name", "letters, digits")]
    [InlineData("#f-max_epochs", "1e9", "max_epochs", "whole number")]
    [InlineData("#f-loss_func-minima_from", "/etc/passwd", "loss_func.minima_from", "name a run")]
    [InlineData("#f-loss_func-minima_from", "nosuch/00007", "loss_func.minima_from", "nosuch/00007: no such run exists")]
    [InlineData("#f-loss_func-minima_from", "nosuch/00007@epoch-2", "loss_func.minima_from", "nosuch/00007@epoch-2: no run nosuch/00007 exists")]
    [InlineData("#f-loss_func-minima_from", "nosuch/00007@epoch-two", "loss_func.minima_from", "a captured minimum is named project/NNNNN@epoch-N")]
    [InlineData("#f-optimizer-lr", "1e308", "optimizer.lr", "outside the range of a 32-bit float")]
    [InlineData("#f-dataset-size", "100000", "dataset.size", "more than the 60000 training samples")]
    public async Task A_bad_value_is_answered_beside_its_field_which_is_marked_and_nothing_is_stored(string input, string value, string field, string message)
    {
        var before = await RunCountAsync();
        var form = Render<NewExperiment>();
        Fill(form, "#f-dataset-name", "fashion_mnist");
        Fill(form, input, value);
        form.Find("#launch").Click();
        form.WaitForAssertion(() => Assert.Contains(ErrorsOf(form, field), e => e.TextContent.Contains(message)));
        var marked = form.Find(input);
        Assert.Equal("true", marked.GetAttribute("aria-invalid"));
        Assert.Contains("is-invalid", marked.ClassList);
        Assert.Equal(value, marked.GetAttribute("value"));
        Assert.Equal(before, await RunCountAsync());
    }

    [Fact]
    public async Task Tf32_on_the_cpu_is_refused_at_the_precision_field()
    {
        var before = await RunCountAsync();
        var form = Render<NewExperiment>();
        Fill(form, "#f-precision", "tf32");
        form.Find("#launch").Click();
        form.WaitForAssertion(() => Assert.Contains(ErrorsOf(form, "precision"), e => e.TextContent.Contains("tf32 is a CUDA setting")));
        Assert.Equal("true", form.Find("#f-precision").GetAttribute("aria-invalid"));
        Assert.Equal(before, await RunCountAsync());
    }

    [Fact]
    public void Preview_refuses_what_launch_refuses()
    {
        var form = Render<NewExperiment>();
        Fill(form, "#f-dataset-name", "fashion_mnist");
        Fill(form, "#f-dataset-folder", "/etc");
        form.Find("#preview-runs-button").Click();
        form.WaitForAssertion(() => Assert.Contains(ErrorsOf(form, "dataset.folder"), e => e.TextContent.Contains("outside the data folders")));
        Assert.Empty(form.FindAll("#preview"));
    }

    [Fact]
    public void An_image_dataset_without_its_files_is_refused_naming_the_field_and_the_files()
    {
        // The test server's MNIST folder is its default, data/mnist, which holds nothing here.
        var form = Render<NewExperiment>();
        Fill(form, "#f-dataset-name", "mnist");
        form.Find("#launch").Click();
        form.WaitForAssertion(() => Assert.Contains(ErrorsOf(form, "dataset.name"),
            e => e.TextContent.Contains("train-images-idx3-ubyte[.gz]") && e.TextContent.Contains(Path.GetFullPath("data/mnist"))));
        Assert.Equal("true", form.Find("#f-dataset-name").GetAttribute("aria-invalid"));
    }

    [Fact]
    public async Task Sweep_rows_filled_in_while_one_run_is_chosen_are_refused_beside_the_rows_not_dropped()
    {
        var before = await RunCountAsync();
        var form = Render<NewExperiment>();
        var row = form.FindAll("#sweep-rows .sweep-row")[0];
        row.QuerySelector(".sweep-key")!.Input("seed");
        form.FindAll("#sweep-rows .sweep-row")[0].QuerySelector(".sweep-values")!.Input("0, 1, 2");
        form.Find("#launch").Click();
        form.WaitForAssertion(() => Assert.Contains("choose grid or random", form.Find("#sweep-rows-error").TextContent));
        Assert.Equal(before, await RunCountAsync());

        // Chosen as a grid, the same rows are three runs.
        form.Find("#sweep-method").Change("grid");
        form.Find("#preview-runs-button").Click();
        form.WaitForAssertion(() => Assert.Equal("3", form.Find("#preview-count").TextContent));
        Assert.Equal(3, form.FindAll("#preview-runs tbody tr").Count);
    }

    [Fact]
    public void Text_that_is_no_number_and_values_out_of_range_are_reported_in_one_round()
    {
        var form = Render<NewExperiment>();
        Fill(form, "#f-batch_size", "lots");
        Fill(form, "#f-optimizer-lr", "-1");
        form.Find("#preview-runs-button").Click();
        form.WaitForAssertion(() =>
        {
            Assert.Contains(ErrorsOf(form, "batch_size"), e => e.TextContent.Contains("whole number"));
            Assert.Contains(ErrorsOf(form, "optimizer.lr"), e => e.TextContent.Contains("positive"));
        });
    }

    [Fact]
    public void A_notebook_config_dict_pasted_as_it_is_loads_into_the_form()
    {
        var form = Render<NewExperiment>();
        form.Find("#spec_json").Input("""
            "mnist1": { "name": "nb", "dataset": {"name": "hyperspheres", "n": 400, "p": 8, "d": 2, "classes": 2},
                        "model": {"name": "mlp", "layer_size": [16], "batch_norm": True, "output_dim": None},
                        "loss_func": {"name": "softmax_loss", "distance": False, "factor": 0.001}, "max_epochs": 2 },
            """);
        form.Find("#load-json").Click();
        Assert.Equal("", string.Join(" | ", form.FindAll(".field-error").Select(e => e.TextContent)));
        form.WaitForAssertion(() => Assert.Equal("nb", form.Find("#f-name").GetAttribute("value")), TimeSpan.FromSeconds(5));
        Assert.Empty(form.FindAll(".field-error"));
        Assert.Equal("400", form.Find("#f-dataset-n").GetAttribute("value"));
        Assert.False(form.Find("#f-loss_func-distance").HasAttribute("checked"));
        Assert.Equal("true", form.Find("#f-model-batch_norm").GetAttribute("value"));
        Assert.Equal("16", form.Find("#layers .layer-size").GetAttribute("value"));
    }

    [Fact]
    public void Fields_follow_the_chosen_model_and_layers_are_added_in_place()
    {
        var form = Render<NewExperiment>();
        Assert.True(form.Find("#f-model-width").ParentElement!.HasAttribute("hidden"));
        var layers = form.FindAll("#layers .layer-row").Count;
        form.Find("#add-layer").Click();
        Assert.Equal(layers + 1, form.FindAll("#layers .layer-row").Count);
        Fill(form, "#f-model-name", "cnn");
        Assert.False(form.Find("#f-model-width").ParentElement!.HasAttribute("hidden"));
    }
}
