using Microsoft.Playwright;

namespace Dashboard.Browser.Tests;

/// <summary>A test class's own dashboard on Kestrel and a headless Debian Chromium; pages note their console errors.</summary>
public abstract class ChromiumTest : IAsyncLifetime
{
    protected BrowserFactory App { get; }
    protected ChromiumTest(IReadOnlyDictionary<string, string>? settings = null) => App = new(settings);
    protected IBrowser Browser { get; private set; } = null!;
    /// <summary>Errors logged by any page this test opened (console errors and uncaught exceptions).</summary>
    protected List<string> ConsoleErrors { get; } = [];
    private IPlaywright _playwright = null!;

    public async Task InitializeAsync()
    {
        App.StartServer();
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
        });
    }

    protected async Task<IPage> NewPageAsync(BrowserNewPageOptions? options = null)
    {
        var page = await Browser.NewPageAsync(options);
        page.Console += (_, m) => { if (m.Type == "error") ConsoleErrors.Add(m.Text); };
        page.PageError += (_, e) => ConsoleErrors.Add(e);
        page.Response += (_, r) => { if (r.Status >= 400) ConsoleErrors.Add($"{r.Status} {r.Url}"); };
        return page;
    }

    /// <summary>
    /// With DASHBOARD_SCREENSHOTS set to a folder, the README's pictures: the page at 1,400 x 900, whole, as NAME.png
    /// there (the viewport is put back afterwards). Without it, nothing.
    /// </summary>
    protected static async Task ScreenshotAsync(IPage page, string name)
    {
        if (Environment.GetEnvironmentVariable("DASHBOARD_SCREENSHOTS") is not { Length: > 0 } folder) return;
        var size = page.ViewportSize;
        await page.SetViewportSizeAsync(1400, 900);
        // Charts follow the window's size a moment after it changes.
        await Task.Delay(500);
        await page.ScreenshotAsync(new() { Path = Path.Combine(folder, name + ".png"), FullPage = true });
        if (size is not null) await page.SetViewportSizeAsync(size.Width, size.Height);
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
        App.Dispose();
        Disposed();
    }

    /// <summary>What a test class holds beyond the app and the browser.</summary>
    protected virtual void Disposed() { }
}
