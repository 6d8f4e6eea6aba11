using Bunit;
using Dashboard.Data;
using Dashboard.Web.Components.Pages.Runs;

namespace Dashboard.Web.Tests.Components;

/// <summary>The runs table in its circuit, over stored runs: sorting, filtering, the column picker, what a cell shows.</summary>
public class RunTableComponentTests : StoredDbContext
{
    private const string Spec = """
        {"name":"grid","dataset":{"name":"hyperspheres","n":200},"model":{"name":"mlp","layer_size":[8]},"optimizer":{"name":"sgd","lr":0.1},"seed":0,"max_epochs":3}
        """;

    /// <summary>Four finished runs: lr 0.1, 0.01, 0.001, 0.0001; the smaller the rate, the lower the accuracy.</summary>
    private void Store()
    {
        using var db = Db();
        var lrs = new[] { 0.1, 0.01, 0.001, 0.0001 };
        var experiment = new Experiment { Name = "grid", Spec = Spec, CreatedAt = DateTime.UtcNow };
        for (int i = 0; i < lrs.Length; i++)
            experiment.Runs.Add(new Run
            {
                Project = "grid", Number = i + 1, Spec = Spec, Status = i == 3 ? RunStatus.Failed : RunStatus.Completed, MaxEpochs = 3, Epoch = 3,
                Params = $$"""{"optimizer.lr": {{lrs[i].ToString("R", System.Globalization.CultureInfo.InvariantCulture)}}}""",
                CreatedAt = DateTime.UtcNow.AddMinutes(i), StartedAt = DateTime.UtcNow.AddMinutes(i), FinishedAt = DateTime.UtcNow.AddMinutes(i + 1),
                Error = i == 3 ? "cannot be converted to type float: optimizer.lr" : null, ParameterCount = 100 * (i + 1), FlopsPerSample = 200 * (i + 1),
            });
        db.Experiments.Add(experiment);
        db.SaveChanges();
        foreach (var run in experiment.Runs)
        {
            var accuracy = 0.9 - 0.2 * (run.Number - 1);
            db.MetricSummaries.Add(new MetricSummary { RunId = run.Id, Key = "val_accuracy", LastStep = 3, LastValue = accuracy, MinValue = accuracy / 2, MaxValue = accuracy });
            db.MetricSummaries.Add(new MetricSummary { RunId = run.Id, Key = "loss", LastStep = 3, LastValue = 2.028e-4 * run.Number, MinValue = 1e-4, MaxValue = 1 });
        }
        db.SaveChanges();
    }

    private static string[] Names(IRenderedComponent<RunTable> table) =>
        table.FindAll("#runs tbody tr td.run-name").Select(td => td.TextContent.Trim()).ToArray();

    [Fact]
    public void Clicking_a_header_sorts_by_it_and_clicking_again_reverses()
    {
        Store();
        var table = Render<RunTable>();
        Assert.Equal(["grid/00004", "grid/00003", "grid/00002", "grid/00001"], Names(table));

        table.Find("a[data-sort='val_accuracy.max']").Click();
        table.WaitForAssertion(() => Assert.Equal(["grid/00001", "grid/00002", "grid/00003", "grid/00004"], Names(table)));
        table.Find("a[data-sort='val_accuracy.max']").Click();
        table.WaitForAssertion(() => Assert.Equal(["grid/00004", "grid/00003", "grid/00002", "grid/00001"], Names(table)));
        Assert.Equal("ascending", table.Find("a[data-sort='val_accuracy.max']").GetAttribute("aria-sort"));

        table.Find("a[data-sort='parameter_count']").Click();
        table.WaitForAssertion(() => Assert.Equal(["grid/00004", "grid/00003", "grid/00002", "grid/00001"], Names(table)));
        // The address follows, to be shared.
        Assert.Contains(JSInterop.Invocations["dashboardAddress.replace"], i => ((string)i.Arguments[0]!).Contains("sort=parameter_count"));
    }

    [Fact]
    public void The_filter_keeps_the_matching_runs_and_a_mistyped_key_is_named()
    {
        Store();
        var table = Render<RunTable>();
        table.Find("#f-filter").Change("optimizer.lr<0.05; val_accuracy.max>0.4");
        table.Find("form.run-filters").Submit();
        table.WaitForAssertion(() => Assert.Equal(["grid/00003", "grid/00002"], Names(table)));
        Assert.Equal("2 runs", table.Find("#run-count").TextContent);

        table.Find("#f-filter").Change("val_acuracy.max>0.8");
        table.Find("form.run-filters").Submit();
        table.WaitForAssertion(() => Assert.Contains("no run has 'val_acuracy.max'", table.Find(".query-error[data-field=filter]").TextContent));
        Assert.Contains("is-invalid", table.Find("#f-filter").ClassName);

        table.Find("#f-filter").Change("parameter_count>=300");
        table.Find("form.run-filters").Submit();
        table.WaitForAssertion(() => Assert.Equal(["grid/00004", "grid/00003"], Names(table)));
        Assert.Empty(table.FindAll(".query-error"));
    }

    [Fact]
    public void The_column_picker_hides_and_shows_columns()
    {
        Store();
        var table = Render<RunTable>();
        Assert.NotEmpty(table.FindAll("th[data-column=created]"));
        table.Find("#column-picker").Click();
        table.Find("#column-list input[data-column=created]").Change(false);
        table.Find("#column-list input[data-column='optimizer.lr']").Change(false);
        table.WaitForAssertion(() => Assert.Empty(table.FindAll("th[data-column=created]")));
        Assert.Empty(table.FindAll("td[data-column='optimizer.lr']"));
        Assert.Contains("2 hidden", table.Find("#column-picker").TextContent);
        Assert.Contains(JSInterop.Invocations["dashboardAddress.replace"], i => ((string)i.Arguments[0]!).Contains("hide=created%2Coptimizer.lr"));

        table.Find("#show-all-columns").Click();
        table.WaitForAssertion(() => Assert.NotEmpty(table.FindAll("th[data-column=created]")));
        Assert.Equal(4, table.FindAll("td[data-column='optimizer.lr']").Count);
    }

    [Fact]
    public void Cells_show_a_failed_runs_reason_small_numbers_and_model_sizes()
    {
        Store();
        var table = Render<RunTable>();
        Assert.Equal("grid/00004", table.Find("tbody tr:first-child td.run-name").TextContent.Trim());
        Assert.Contains("cannot be converted to type float", table.Find("tbody tr:first-child .run-error").TextContent);
        // 2.028e-4 x 1 for the first run, in one no-wrap cell.
        var loss = table.Find("tbody tr:last-child td[data-column=loss]");
        Assert.Equal("2.028e-4", loss.TextContent);
        Assert.Contains("text-nowrap", loss.ClassName);
        Assert.Equal("400", table.Find("tbody tr:first-child td[data-column=parameter_count]").TextContent);
    }
}
