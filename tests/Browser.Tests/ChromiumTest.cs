using Microsoft.Playwright;

namespace Dashboard.Browser.Tests;

/// <summary>A test class's own dashboard on Kestrel and a headless Debian Chromium; pages note their console errors.</summary>
public abstract class ChromiumTest : IAsyncLifetime
{
    protected BrowserFactory App { get; } = new();
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
