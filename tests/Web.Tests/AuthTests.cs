using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dashboard.Data;
using Dashboard.Web.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dashboard.Web.Tests;

/// <summary>The app with sign-in on, a first admin from configuration, and a viewer and two researchers made here.</summary>
public sealed class SignInFactory : WebApplicationFactory<Program>
{
    public string DataDir { get; } = Directory.CreateTempSubdirectory("dashboard-auth").FullName;
    public const string AdminPassword = "admin-password-1";
    /// <summary>Every message the app logged, to check that no secret is among them.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Logged { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseContentRoot(AppContext.BaseDirectory);
        builder.UseSetting("Storage:DataDir", DataDir);
        builder.UseSetting("Training:Threads", "1");
        builder.UseSetting("Auth:SignIn", "true");
        builder.UseSetting("Auth:AdminName", "root");
        builder.UseSetting("Auth:AdminPassword", AdminPassword);
        builder.ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Trace).AddProvider(new RecordingLoggerProvider(Logged)));
    }

    private sealed class RecordingLoggerProvider(System.Collections.Concurrent.ConcurrentQueue<string> into) : ILoggerProvider
    {
        public ILogger CreateLogger(string category) => new Recorder(category, into);
        public void Dispose() { }

        private sealed class Recorder(string category, System.Collections.Concurrent.ConcurrentQueue<string> into) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel level) => true;
            public void Log<TState>(LogLevel level, EventId id, TState state, Exception? e, Func<TState, Exception?, string> format) =>
                into.Enqueue($"{category}: {format(state, e)} {e}");
        }
    }

    /// <summary>A bearer token for a new user of that role (and that token role, by default the same).</summary>
    public Task<HttpClient> ClientAsAsync(string user, string role, string? tokenRole = null) => ClientAsAsync(user, role, tokenRole, null);

    public async Task<HttpClient> ClientAsAsync(string user, string role, string? tokenRole, DelegatingHandler? handler)
    {
        using var scope = Services.CreateScope();
        var dbs = scope.ServiceProvider.GetRequiredService<IDbContextFactory<DashboardDb>>();
        await using var db = await dbs.CreateDbContextAsync();
        var row = await db.Users.FirstOrDefaultAsync(u => u.Name == user)
                  ?? await scope.ServiceProvider.GetRequiredService<Passwords>().CreateAsync(user, "a-long-password", role);
        var (token, prefix, hash) = ApiTokens.New();
        db.ApiTokens.Add(new ApiToken { UserId = row.Id, Name = "test", Prefix = prefix, Hash = hash, Role = tokenRole ?? role, CreatedAt = DateTime.UtcNow });
        await db.SaveChangesAsync();
        var client = handler is null ? CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false }) : CreateDefaultClient(new Uri("http://localhost"), handler);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { }
    }
}

public sealed class AuthTests(SignInFactory app) : IClassFixture<SignInFactory>
{
    private const string Spec = """
        { "name": "auth", "dataset": { "name": "hyperspheres", "n": 200, "p": 8, "d": 2 },
          "model": { "name": "mlp", "layer_size": [8] }, "max_epochs": 200, "batch_size": 10 }
        """;

    private HttpClient Anonymous() => app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

    /// <summary>The routes anyone may reach: signing in, health, error pages, and the static files (CSS, scripts).</summary>
    private static readonly string[] OpenRoutes = ["/login", "/account/login", "/account/logout", "/health", "/not-found", "/status/{Code:int}", "/Error"];

    private static bool IsStaticFile(RouteEndpoint e) => e.RoutePattern.RawText is { } p && !p.Contains('{') && Regex.IsMatch(p, @"\.[a-z0-9]+$");

    [Fact]
    public async Task Every_page_and_api_route_refuses_an_anonymous_caller()
    {
        using var client = Anonymous();
        var endpoints = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        Assert.True(endpoints.Count > 20, $"only {endpoints.Count} endpoints found");

        // A route opened on purpose is listed above; any other that allows anonymous callers fails here.
        var open = endpoints.Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is not null && !IsStaticFile(e))
            .Select(e => "/" + e.RoutePattern.RawText!.TrimStart('/')).Distinct().Order().ToArray();
        Assert.Equal(OpenRoutes.Order(), open);

        var checkedRoutes = 0;
        foreach (var e in endpoints.Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is null))
        {
            // Route values are filled in with something plausible: the check must fail on authorisation, not on a 404.
            var path = "/" + Regex.Replace(e.RoutePattern.RawText!.TrimStart('/'), @"\{\*?\*?(\w+)[^}]*\}", m => m.Groups[1].Value == "name" ? "epoch-0001.pt" : "1");
            var methods = e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            foreach (var method in methods)
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path);
                if (method is "POST" or "PATCH" or "PUT") request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
                using var response = await client.SendAsync(request);
                if (path.StartsWith("/api/"))
                    Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path}: {(int)response.StatusCode}");
                else
                {
                    Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"{method} {path}: {(int)response.StatusCode}");
                    Assert.StartsWith("http://localhost/login", response.Headers.Location!.ToString());
                }
                checkedRoutes++;
            }
        }
        Assert.True(checkedRoutes >= 25, $"only {checkedRoutes} routes checked");
        // And nothing was launched by all those posts.
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<DashboardDb>>().CreateDbContextAsync();
        Assert.False(await db.Runs.AnyAsync(r => r.LaunchedBy == null));
    }

    [Fact]
    public async Task Signing_in_with_the_first_admin_opens_the_pages_and_a_wrong_password_does_not()
    {
        var cookies = new CookieContainer();
        using var client = app.CreateDefaultClient(new Uri("http://localhost"), new CookieHandler(cookies));
        async Task<HttpResponseMessage> SignIn(string password)
        {
            var form = await client.GetStringAsync("/login");
            var token = RunsClient.AntiforgeryToken(form);
            return await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["__RequestVerificationToken"] = token, ["name"] = "root", ["password"] = password, ["returnUrl"] = "/workers",
            }));
        }
        // The sign-in form is protected like every other.
        var forged = await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["name"] = "root", ["password"] = SignInFactory.AdminPassword }));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);

        var wrong = await SignIn("not-the-password");
        Assert.Equal(HttpStatusCode.Redirect, wrong.StatusCode);
        Assert.Contains("failed=1", wrong.Headers.Location!.ToString());
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/")).StatusCode);

        var right = await SignIn(SignInFactory.AdminPassword);
        Assert.Equal("/workers", right.Headers.Location!.ToString());
        var page = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("root (admin)", await page.Content.ReadAsStringAsync());
        // The session cookie is kept from scripts and from other sites' requests.
        var cookie = cookies.GetAllCookies().Single(c => c.Name == "dashboard.session");
        Assert.True(cookie.HttpOnly);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/admin/users")).StatusCode);

        // The Users page itself (add a user, the last admin kept) is tested in its circuit: Components/UsersPageTests.

        // A new password ends the sessions signed in with the old one.
        var root = await (await app.Services.GetRequiredService<IDbContextFactory<DashboardDb>>().CreateDbContextAsync()).Users.SingleAsync(u => u.Name == "root");
        await app.Services.GetRequiredService<Passwords>().SetPasswordAsync(root.Id, SignInFactory.AdminPassword);
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/")).StatusCode);

        // Secrets are never logged: neither the configured admin password, nor a mistyped one, nor the cookie.
        Assert.Contains(app.Logged, m => m.Contains("Failed sign-in for root"));
        Assert.DoesNotContain(app.Logged, m => m.Contains(SignInFactory.AdminPassword) || m.Contains("not-the-password") || m.Contains(cookie.Value));
    }

    [Fact]
    public async Task A_viewer_reads_but_cannot_launch_and_a_researcher_changes_only_their_own_runs()
    {
        using var viewer = await app.ClientAsAsync("vera", Roles.Viewer);
        using var alice = await app.ClientAsAsync("alice", Roles.Researcher);
        using var bob = await app.ClientAsAsync("bob", Roles.Researcher);
        using var admin = await app.ClientAsAsync("root", Roles.Admin);

        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/api/runs")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostSpecAsync(Spec)).StatusCode);
        var form = await viewer.GetAsync("/experiments/new");
        Assert.True(form.StatusCode == HttpStatusCode.Forbidden, $"{form.StatusCode}: {await form.Content.ReadAsStringAsync()}");
        Assert.Contains("Your role (viewer) does not allow this", await form.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.GetAsync("/admin/users")).StatusCode);

        var id = await alice.LaunchAsync(Spec);
        var run = await alice.RunAsync(id);
        Assert.Equal("alice", run.GetProperty("launched_by").GetString());

        Assert.Equal(HttpStatusCode.Forbidden, (await bob.PostAsync($"/api/runs/{id}/cancel", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.PatchAsync($"/api/runs/{id}", JsonContent.Create(new { notes = "mine now" }))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync($"/api/runs/{id}/cancel", null)).StatusCode);
        Assert.Equal("", (await alice.RunAsync(id)).GetProperty("notes").GetString());

        var cancel = await alice.PostAsync($"/api/runs/{id}/cancel", null);
        Assert.True(cancel.StatusCode is HttpStatusCode.OK or HttpStatusCode.Accepted, cancel.StatusCode.ToString());
        var ended = await alice.WaitFinishedAsync(id);
        Assert.Equal("cancelled", ended.GetProperty("status").GetString());
        Assert.Equal("alice", ended.GetProperty("cancelled_by").GetString());

        // An admin may change anyone's run.
        Assert.Equal(HttpStatusCode.OK, (await admin.PatchAsync($"/api/runs/{id}", JsonContent.Create(new { notes = "checked" }))).StatusCode);
        var page = await admin.GetStringAsync($"/runs/{id}");
        Assert.Contains("<span id=\"run-launched-by\">alice</span>", page);
        Assert.Contains("<span id=\"run-cancelled-by\">alice</span>", page);
    }

    [Fact]
    public async Task A_token_acts_with_its_own_role_records_its_last_use_and_stops_when_revoked()
    {
        using var readOnly = await app.ClientAsAsync("carol", Roles.Researcher, tokenRole: Roles.Viewer);
        Assert.Equal(HttpStatusCode.OK, (await readOnly.GetAsync("/api/runs")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await readOnly.PostSpecAsync(Spec)).StatusCode);

        await using var db = await app.Services.GetRequiredService<IDbContextFactory<DashboardDb>>().CreateDbContextAsync();
        var token = await db.ApiTokens.Include(t => t.User).SingleAsync(t => t.User!.Name == "carol");
        Assert.NotNull(token.LastUsedAt);
        // Only the hash is stored, never the token.
        Assert.DoesNotContain(readOnly.DefaultRequestHeaders.Authorization!.Parameter!, token.Hash);
        Assert.Equal(64, token.Hash.Length);

        Assert.DoesNotContain(app.Logged, m => m.Contains(readOnly.DefaultRequestHeaders.Authorization!.Parameter!));
        token.RevokedAt = DateTime.UtcNow;
        await db.SaveChangesAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, (await readOnly.GetAsync("/api/runs")).StatusCode);

        using var forged = Anonymous();
        forged.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "dash_0123456789ab_notthesecret");
        Assert.Equal(HttpStatusCode.Unauthorized, (await forged.GetAsync("/api/runs")).StatusCode);
    }

    [Theory]
    [InlineData("/etc", "dataset.folder")]
    [InlineData("/usr/share/datasets/fashion-mnist/../../../../etc", "dataset.folder")]
    [InlineData("data/../../../../root", "dataset.folder")]
    public async Task A_dataset_folder_outside_the_data_roots_is_refused_with_nothing_stored(string folder, string field)
    {
        using var admin = await app.ClientAsAsync("root", Roles.Admin);
        var before = (await admin.GetFromJsonAsync<JsonElement[]>("/api/runs?limit=1000"))!.Length;
        var response = await admin.PostSpecAsync($$"""{ "name": "escape", "dataset": { "name": "mnist", "folder": {{JsonSerializer.Serialize(folder)}} }, "model": "mlp" }""");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("outside the data folders", problem.GetProperty("errors").GetProperty(field)[0].GetString());
        Assert.Equal(before, (await admin.GetFromJsonAsync<JsonElement[]>("/api/runs?limit=1000"))!.Length);
    }

    [Fact]
    public async Task Minima_from_a_file_outside_the_data_folder_is_refused()
    {
        using var admin = await app.ClientAsAsync("root", Roles.Admin);
        var response = await admin.PostSpecAsync("""
            { "name": "escape", "dataset": { "name": "hyperspheres", "n": 200, "p": 8, "d": 2 }, "model": "mlp",
              "loss_func": { "distance": true, "minima_from": ["/etc/passwd"] } }
            """);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("/etc/passwd", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("loss_func.minima_from")[0].GetString());
    }

    [Fact]
    public async Task Oversized_and_malformed_specs_are_4xx_and_store_nothing()
    {
        using var admin = await app.ClientAsAsync("root", Roles.Admin);
        var before = (await admin.GetFromJsonAsync<JsonElement[]>("/api/runs?limit=1000"))!.Length;
        var huge = "{ \"name\": \"big\", \"notes\": \"" + new string('x', 300_000) + "\" }";
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await admin.PostSpecAsync(huge)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostSpecAsync("{ \"name\": ")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostSpecAsync("""{ "dataset": "hyperspheres", "model": { "name": "mlp", "layer_size": [100000] } }""")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostSpecAsync("""{ "dataset": "hyperspheres", "model": "mlp", "max_epochs": 100000000 }""")).StatusCode);
        var sweep = await admin.PostSpecAsync("""{ "dataset": "hyperspheres", "model": "mlp", "sweep": { "parameters": { "seed": { "min": 0, "max": 100000 } } } }""");
        Assert.Equal(HttpStatusCode.BadRequest, sweep.StatusCode);
        Assert.Equal(before, (await admin.GetFromJsonAsync<JsonElement[]>("/api/runs?limit=1000"))!.Length);
    }

    [Fact]
    public async Task Pages_carry_security_headers_and_forms_carry_an_antiforgery_token()
    {
        using var admin = await app.ClientAsAsync("root", Roles.Admin);
        var response = await admin.GetAsync("/experiments/new");
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
        // The pages act in their circuits; what still posts is the sign-in form (and, for a cookie session, sign-out).
        using var anonymous = app.CreateDefaultClient(new Uri("http://localhost"), new CookieHandler(new CookieContainer()));
        var html = await anonymous.GetStringAsync("/login");
        var forms = Regex.Matches(html, "<form[^>]*method=\"post\"[^>]*>(.*?)</form>", RegexOptions.Singleline);
        Assert.Contains(forms, f => f.Value.Contains("account/login"));
        Assert.All(forms, f => Assert.Contains("__RequestVerificationToken", f.Value));
    }

    [Fact]
    public async Task Sign_in_off_on_a_non_loopback_address_refuses_to_start_and_says_why()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Dashboard.Web.dll");
        var psi = new ProcessStartInfo("dotnet", [dll, "--urls", "http://0.0.0.0:0"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["Storage__DataDir"] = Path.Combine(app.DataDir, "refused");
        psi.Environment["Auth__SignIn"] = "false";
        using var web = Process.Start(psi)!;
        var stderr = web.StandardError.ReadToEndAsync();
        var stdout = web.StandardOutput.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try { await web.WaitForExitAsync(limit.Token); }
        catch (OperationCanceledException) { web.Kill(); Assert.Fail("the dashboard started instead of refusing"); }
        Assert.NotEqual(0, web.ExitCode);
        var output = await stdout + await stderr;
        Assert.Contains("Sign-in is off", output);
        Assert.Contains("not loopback", output);
        Assert.DoesNotContain("Dashboard is running at", output);
    }

    [Fact]
    public async Task A_token_cannot_manage_tokens_or_users_so_a_read_only_token_never_becomes_an_admin_one()
    {
        using var readOnlyRoot = await app.ClientAsAsync("root", Roles.Admin, tokenRole: Roles.Viewer, handler: new CookieHandler(new CookieContainer()));
        var page = await readOnlyRoot.GetAsync("/account/tokens");
        Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
        // With an antiforgery token from a page it may read, the forms refuse it too.
        using var launcher = await app.ClientAsAsync("root", Roles.Admin);
        var runId = await launcher.LaunchAsync(Spec.Replace("\"max_epochs\": 200", "\"max_epochs\": 1"));
        var token = RunsClient.AntiforgeryToken(await readOnlyRoot.GetStringAsync("/login"));
        Assert.NotEmpty(token);
        var minted = await readOnlyRoot.PostAsync("/account/tokens", new FormUrlEncodedContent(new Dictionary<string, string>
            { ["__RequestVerificationToken"] = token, ["_handler"] = "new-token", ["name"] = "escalate", ["role"] = Roles.Admin }));
        Assert.True(minted.StatusCode == HttpStatusCode.Forbidden, $"{minted.StatusCode}: {await minted.Content.ReadAsStringAsync()}");
        var user = await readOnlyRoot.PostAsync("/admin/users", new FormUrlEncodedContent(new Dictionary<string, string>
            { ["__RequestVerificationToken"] = token, ["_handler"] = "new-user", ["name"] = "intruder", ["password"] = "a-long-password", ["role"] = Roles.Admin }));
        Assert.Equal(HttpStatusCode.Forbidden, user.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await launcher.GetAsync("/admin/users")).StatusCode);
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<DashboardDb>>().CreateDbContextAsync();
        Assert.False(await db.ApiTokens.AnyAsync(t => t.Name == "escalate"));
        Assert.False(await db.Users.AnyAsync(u => u.Name == "intruder"));
    }

    [Fact]
    public async Task A_disabled_users_tokens_stop_working()
    {
        using var dave = await app.ClientAsAsync("dave", Roles.Researcher);
        Assert.Equal(HttpStatusCode.OK, (await dave.GetAsync("/api/runs")).StatusCode);
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<DashboardDb>>().CreateDbContextAsync();
        await db.Users.Where(u => u.Name == "dave").ExecuteUpdateAsync(u => u.SetProperty(x => x.Disabled, true));
        Assert.Equal(HttpStatusCode.Unauthorized, (await dave.GetAsync("/api/runs")).StatusCode);
    }

    [Theory]
    [InlineData("Origin", "https://evil.example")]
    [InlineData("Origin", "http://localhost:8888")]
    [InlineData("Origin", "null")]
    [InlineData("Sec-Fetch-Site", "cross-site")]
    [InlineData("Sec-Fetch-Site", "same-site")]
    public async Task A_change_sent_from_another_page_is_refused_and_nothing_is_stored(string header, string value)
    {
        using var erin = await app.ClientAsAsync("erin", Roles.Researcher);
        var before = (await erin.GetFromJsonAsync<JsonElement[]>("/api/runs?limit=1000"))!.Length;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/experiments") { Content = new StringContent(Spec, Encoding.UTF8, "application/json") };
        request.Headers.Add(header, value);
        Assert.Equal(HttpStatusCode.Forbidden, (await erin.SendAsync(request)).StatusCode);
        Assert.Equal(before, (await erin.GetFromJsonAsync<JsonElement[]>("/api/runs?limit=1000"))!.Length);
        // The same request from this site's own pages goes through.
        using var own = new HttpRequestMessage(HttpMethod.Post, "/api/experiments/preview") { Content = new StringContent(Spec, Encoding.UTF8, "application/json") };
        own.Headers.Add("Origin", "http://localhost");
        own.Headers.Add("Sec-Fetch-Site", "same-origin");
        Assert.Equal(HttpStatusCode.OK, (await erin.SendAsync(own)).StatusCode);
    }

    [Fact]
    public async Task A_researchers_page_forms_cannot_cancel_or_edit_another_researchers_run()
    {
        using var alice = await app.ClientAsAsync("alice", Roles.Researcher);
        var id = await alice.LaunchAsync(Spec);
        using var bob = await app.ClientAsAsync("bob", Roles.Researcher, null, new CookieHandler(new CookieContainer()));
        var page = await bob.GetStringAsync($"/runs/{id}");
        // The cancel button is not offered to bob, nor saving notes; the page's buttons act in the circuit, where the
        // same check refuses them, and a form posted to the page anyway changes nothing.
        Assert.Matches("id=\"cancel-form\"[^>]*hidden", page);
        Assert.Matches("id=\"save-notes\"[^>]*disabled", page);
        var token = RunsClient.AntiforgeryToken(page);
        foreach (var (handler, extra) in new[] { ("cancel-run", ""), ("run-notes", "bob was here") })
        {
            var response = await bob.PostAsync($"/runs/{id}", new FormUrlEncodedContent(new Dictionary<string, string>
                { ["__RequestVerificationToken"] = token, ["_handler"] = handler, ["tags"] = "bob", ["notes"] = extra }));
            Assert.False(response.IsSuccessStatusCode);
        }
        var run = await alice.RunAsync(id);
        Assert.Equal(JsonValueKind.Null, run.GetProperty("cancel_requested_at").ValueKind);
        Assert.Empty(run.GetProperty("tags").EnumerateArray());
        Assert.Equal("", run.GetProperty("notes").GetString());
        await alice.PostAsync($"/api/runs/{id}/cancel", null);
    }

    [Theory]
    [InlineData("//evil.example/x")]
    [InlineData("/\\evil.example")]
    [InlineData("/\t/evil.example")]
    [InlineData("https://evil.example/")]
    public async Task After_sign_in_only_a_path_on_this_site_is_followed(string returnUrl)
    {
        using var client = app.CreateDefaultClient(new Uri("http://localhost"), new CookieHandler(new CookieContainer()));
        var form = await client.GetStringAsync("/login");
        var token = RunsClient.AntiforgeryToken(form);
        var response = await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token, ["name"] = "root", ["password"] = SignInFactory.AdminPassword, ["returnUrl"] = returnUrl.Replace("\\t", "\t"),
        }));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location!.ToString());
        Assert.Contains("samesite=strict", response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("dashboard.session")).ToLowerInvariant());
    }

    [Theory]
    [InlineData("http://localhost:5000", true)]
    [InlineData("http://127.0.0.1:5000", true)]
    [InlineData("http://[::1]:5000", true)]
    [InlineData("http://0.0.0.0:8080", false)]
    [InlineData("http://[::]:8080", false)]
    [InlineData("http://*:8080", false)]
    [InlineData("http://+:8080", false)]
    [InlineData("http://gpu-box:8080", false)]
    [InlineData("http://127.0.0.1:80:5000", false)]
    [InlineData("http://[::1]x:5000", false)]
    [InlineData("http://[::1]@0.0.0.0:5000", false)]
    [InlineData("http://127.1:5000", false)]
    public void A_listening_address_is_loopback_only_as_kestrel_reads_it(string url, bool loopback) =>
        Assert.Equal(loopback, AuthSetup.IsLoopback(url));

    private sealed class CookieHandler(CookieContainer cookies) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var header = cookies.GetCookieHeader(request.RequestUri!);
            if (header.Length > 0) request.Headers.Add("Cookie", header);
            var response = await base.SendAsync(request, ct);
            if (response.Headers.TryGetValues("Set-Cookie", out var set))
                foreach (var c in set) cookies.SetCookies(request.RequestUri!, c);
            return response;
        }
    }
}
