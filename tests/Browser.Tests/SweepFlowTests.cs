using Microsoft.Playwright;

namespace Dashboard.Browser.Tests;

/// <summary>In Chromium: a 2 x 2 grid sweep set up in the form, previewed, launched, and followed to its end.</summary>
public sealed class SweepFlowTests : ChromiumTest
{
    [Fact]
    public async Task Launch_a_two_by_two_grid_sweep_from_the_form_and_see_its_four_runs_finish()
    {
        var page = await NewPageAsync();

        await page.GotoAsync(App.BaseUrl + "/experiments/new");
        // Prerendered first; typing counts once the circuit has taken the form over.
        await Assertions.Expect(page.Locator("#experiment-form")).ToHaveAttributeAsync("data-interactive", "true");
        await page.FillAsync("#f-name", "grid");
        await page.FillAsync("#f-dataset-n", "400");
        await page.FillAsync("#f-dataset-p", "16");
        await page.FillAsync("#f-max_epochs", "3");

        // Fields that do not apply are hidden: the CNN's width shows only for the CNN.
        await Assertions.Expect(page.Locator("#f-model-width")).ToBeHiddenAsync();
        await page.SelectOptionAsync("#f-model-name", "cnn");
        await Assertions.Expect(page.Locator("#f-model-width")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#layers")).ToBeHiddenAsync();
        await page.SelectOptionAsync("#f-model-name", "mlp");
        await Assertions.Expect(page.Locator("#layers")).ToBeVisibleAsync();

        // A third layer, added with the keyboard.
        await page.FocusAsync("#add-layer");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#layers .layer-row")).ToHaveCountAsync(3);
        // The new row's size field takes the focus (a step after the row itself appears), so typing goes there.
        await Assertions.Expect(page.Locator("#layers .layer-row").Nth(2).Locator(".layer-size")).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync("8");

        await page.SelectOptionAsync("#sweep-method", "grid");
        var rows = page.Locator("#sweep-rows .sweep-row");
        await rows.Nth(0).Locator(".sweep-key").FillAsync("optimizer.lr");
        await rows.Nth(0).Locator(".sweep-values").FillAsync("0.01, 0.1");
        await rows.Nth(1).Locator(".sweep-key").FillAsync("seed");
        await rows.Nth(1).Locator(".sweep-min").FillAsync("0");
        await rows.Nth(1).Locator(".sweep-max").FillAsync("1");

        // A bad value in the sweep is answered beside its row, and nothing is launched.
        await rows.Nth(0).Locator(".sweep-values").FillAsync("0.01, -1");
        await page.ClickAsync("#preview-runs-button");
        await Assertions.Expect(page.Locator(".field-error[data-field='sweep.parameters.optimizer.lr']")).ToContainTextAsync("-1: must be a positive number");
        Assert.EndsWith("/experiments/new", page.Url);

        await page.Locator("#sweep-rows .sweep-row").Nth(0).Locator(".sweep-values").FillAsync("0.01, 0.1");
        await page.ClickAsync("#preview-runs-button");
        await Assertions.Expect(page.Locator("#preview-count")).ToHaveTextAsync("4");
        await Assertions.Expect(page.Locator("#preview-runs tbody tr")).ToHaveCountAsync(4);
        Assert.Equal("8", await page.Locator("#layers .layer-row").Nth(2).Locator(".layer-size").InputValueAsync());
        await ScreenshotAsync(page, "new-experiment");

        await page.ClickAsync("#launch");
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/experiments/\\d+$"));
        await Assertions.Expect(page.Locator("#sweep-parameters")).ToContainTextAsync("optimizer.lr");
        // The seed range is shown as the values it produced, not as its JSON.
        await Assertions.Expect(page.Locator("#sweep-parameters tr", new() { HasText = "seed" }).Locator(".sweep-values")).ToHaveTextAsync("0, 1");
        await Assertions.Expect(page.Locator("#sweep-parameters tr", new() { HasText = "optimizer.lr" }).Locator(".sweep-values")).ToHaveTextAsync("0.01, 0.1");
        await Assertions.Expect(page.Locator("#runs tbody tr")).ToHaveCountAsync(4);
        // The counter and each row follow the runs live, without a reload.
        await Assertions.Expect(page.Locator("#sweep-done")).ToHaveTextAsync("4", new() { Timeout = 120_000 });
        await Assertions.Expect(page.Locator("#runs .run-status .badge[data-status='completed']")).ToHaveCountAsync(4, new() { Timeout = 10_000 });
        await ScreenshotAsync(page, "sweep");

        // The table shows each run's parameters: lr 0.01 twice, 0.1 twice, seeds 0 and 1.
        var paramCells = await page.Locator("#runs tbody tr td.font-monospace.small").AllTextContentsAsync();
        Assert.Equal(2, paramCells.Count(c => c == "0.01"));
        Assert.Equal(2, paramCells.Count(c => c == "0.1"));

        // Sorting by a metric from its header: the best validation accuracy first.
        await page.ClickAsync("a.sort-link[data-sort='val_accuracy.max']");
        var best = (await page.Locator("#runs td[data-metric='val_accuracy.max']").AllTextContentsAsync()).Select(double.Parse).ToArray();
        Assert.Equal(best.OrderDescending(), best);

        // Select two and compare: the selection becomes the compare view's URL.
        await page.Locator("#runs .run-select").Nth(0).CheckAsync();
        await page.Locator("#runs .run-select").Nth(1).CheckAsync();
        await Assertions.Expect(page.Locator("#compare-selected")).ToHaveTextAsync("Compare 2 selected");

        // Tag the two selected runs at once; the tag then filters the table.
        await page.FillAsync("#bulk-tag", "keep");
        await page.ClickAsync("#tag-selected");
        await Assertions.Expect(page.Locator("#bulk-message")).ToHaveTextAsync("Tagged 2 runs 'keep'.");
        await Assertions.Expect(page.Locator("#runs .run-tags a", new() { HasText = "keep" })).ToHaveCountAsync(2);
        await page.Locator("#runs .run-tags a", new() { HasText = "keep" }).First.ClickAsync();
        await Assertions.Expect(page.Locator("#runs tbody tr")).ToHaveCountAsync(2);

        // Clone and edit: the form comes back filled in with the sweep.
        await page.ClickAsync("#clone-experiment");
        Assert.Equal("grid", await page.InputValueAsync("#f-name"));
        Assert.Equal("optimizer.lr", await page.Locator("#sweep-rows .sweep-row").Nth(0).Locator(".sweep-key").InputValueAsync());
        Assert.Equal(3, await page.Locator("#layers .layer-row").CountAsync());
        Assert.Empty(ConsoleErrors);
    }
}
