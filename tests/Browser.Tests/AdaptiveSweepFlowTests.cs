using Microsoft.Playwright;

namespace Dashboard.Browser.Tests;

/// <summary>In Chromium: a grid sweep with early stopping set up in the form, launched, and watched stopping runs live.</summary>
public sealed class AdaptiveSweepFlowTests : ChromiumTest
{
    [Fact]
    public async Task An_early_stopping_sweep_from_the_form_shows_runs_stopped_live_on_its_rungs_chart()
    {
        var page = await NewPageAsync();
        await page.GotoAsync(App.BaseUrl + "/experiments/new");
        await Assertions.Expect(page.Locator("#experiment-form")).ToHaveAttributeAsync("data-interactive", "true");
        await page.FillAsync("#f-name", "asha");
        await page.FillAsync("#f-dataset-n", "2000");
        await page.FillAsync("#f-max_epochs", "3");
        await page.SelectOptionAsync("#sweep-method", "grid");
        var rows = page.Locator("#sweep-rows .sweep-row");
        await rows.Nth(0).Locator(".sweep-key").FillAsync("optimizer.lr");
        // One that learns, five that barely move: those fall behind at the first rung.
        await rows.Nth(0).Locator(".sweep-values").FillAsync("0.1, 1e-6, 2e-6, 3e-6, 4e-6, 5e-6");
        await page.CheckAsync("#early-stop");
        await Assertions.Expect(page.Locator("#early-stop-fields")).ToBeVisibleAsync();

        // A bad reduction factor is answered at its field; nothing is launched.
        await page.FillAsync("#early-stop-reduction-factor", "1");
        await page.ClickAsync("#launch");
        await Assertions.Expect(page.Locator(".field-error[data-field='sweep.early_stop.reduction_factor']")).ToContainTextAsync("at least 2");
        Assert.EndsWith("/experiments/new", page.Url);

        await page.FillAsync("#early-stop-reduction-factor", "3");
        await page.ClickAsync("#launch");
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/experiments/\\d+$"));

        // Live, without a reload: runs stopped at rung 0, drawn as red dots, with their reasons in the table.
        await Assertions.Expect(page.Locator(".asha-rung[data-rung='0']")).ToHaveAttributeAsync("data-reached", "6", new() { Timeout = 60_000 });
        await page.WaitForFunctionAsync("() => (document.getElementById('asha-chart')?.data ?? []).some(t => t.name === 'stopped' && t.x.length >= 3)",
            null, new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#sweep-done")).ToHaveTextAsync("6", new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator(".sweep-count[data-status='stopped']")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator(".asha-decision[data-stop='true']").First).ToContainTextAsync("stopped early at epoch 1 (rung 0)");
        await Assertions.Expect(page.Locator("#runs .run-stopped").First).ToHaveTextAsync("stopped early at epoch 1 (rung 0)");
        await ScreenshotAsync(page, "sweep-asha");
    }
}
