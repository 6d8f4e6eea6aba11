using System.Net;
using Dashboard.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using System.Threading.RateLimiting;

namespace Dashboard.Web.Auth;

/// <summary>
/// Who may do what. Every endpoint needs a signed-in caller unless it says otherwise (the fallback policy), so a new
/// page or API route is closed by default. People sign in with a cookie, scripts send a bearer token; with sign-in
/// off, callers on this machine are the admin "local" and the dashboard refuses to listen anywhere else.
/// </summary>
public static class AuthSetup
{
    public const string Researcher = "researcher", Admin = "admin", People = "people", SignInLimit = "sign-in";
    private const string Smart = "dashboard";

    public static void AddDashboardAuth(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AuthOptions>().Bind(builder.Configuration.GetSection(AuthOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        var auth = builder.Configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        builder.Services.AddSingleton<Passwords>();
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddScoped<Microsoft.AspNetCore.Components.Authorization.AuthenticationStateProvider, CircuitUserCheck>();
        builder.Services.AddAuthentication(Smart)
            .AddPolicyScheme(Smart, "cookie, bearer token or local caller", o => o.ForwardDefaultSelector = c =>
                c.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? ApiTokens.Scheme
                : auth.SignIn ? CookieAuthenticationDefaults.AuthenticationScheme : LocalCallerHandler.SchemeName)
            .AddCookie(o =>
            {
                o.LoginPath = "/login";
                o.LogoutPath = "/account/logout";
                o.AccessDeniedPath = "/status/403";
                o.ExpireTimeSpan = TimeSpan.FromHours(auth.SessionHours);
                o.SlidingExpiration = true;
                o.Cookie.Name = "dashboard.session";
                o.Cookie.HttpOnly = true;
                // Strict: no other site's page can make the browser send it, so a cookie never authorises a forged request.
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                // The API answers with a status; only pages redirect to the sign-in page.
                o.Events.OnRedirectToLogin = c => Status(c, StatusCodes.Status401Unauthorized);
                o.Events.OnRedirectToAccessDenied = c => Status(c, StatusCodes.Status403Forbidden);
                // Checked on every request: a disabled user, a changed password (a new security stamp) or a session older
                // than the absolute limit is signed out; a changed role applies at once.
                o.Events.OnValidatePrincipal = async c =>
                {
                    var dbs = c.HttpContext.RequestServices.GetRequiredService<IDbContextFactory<DashboardDb>>();
                    await using var db = await dbs.CreateDbContextAsync();
                    var user = await Sessions.CheckAsync(db, c.Principal!, auth);
                    if (user is null)
                    {
                        c.RejectPrincipal();
                        await c.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
                    }
                    else if (user.Role != c.Principal!.Role())
                    {
                        c.ReplacePrincipal(CurrentUser.Session(user, CookieAuthenticationDefaults.AuthenticationScheme, Sessions.SignedInAt(c.Principal!)));
                        c.ShouldRenew = true;
                    }
                };
            })
            .AddScheme<AuthenticationSchemeOptions, ApiTokenHandler>(ApiTokens.Scheme, null)
            .AddScheme<AuthenticationSchemeOptions, LocalCallerHandler>(LocalCallerHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPolicy(Researcher, p => p.RequireRole(Roles.Researcher, Roles.Admin))
            .AddPolicy(Admin, p => p.RequireRole(Roles.Admin))
            // Tokens and users are managed by people, never by a script's token (which could mint a stronger one).
            .AddPolicy(People, p => p.RequireAuthenticatedUser().RequireAssertion(c => c.User.Identity?.AuthenticationType != ApiTokens.Scheme));
        // Password guessing: a few tries a minute from one address.
        builder.Services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(SignInLimit, c => RateLimitPartition.GetFixedWindowLimiter(c.Connection.RemoteIpAddress?.ToString() ?? "",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = 10, Window = TimeSpan.FromMinutes(1) }));
        });
    }

    private static Task Status(RedirectContext<CookieAuthenticationOptions> c, int status)
    {
        if (c.Request.Path.StartsWithSegments("/api")) c.Response.StatusCode = status;
        else c.Response.Redirect(c.RedirectUri);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Refuses to start with sign-in off on any address but loopback, reading where the server will listen from the
    /// same settings Kestrel reads (urls, ports, Kestrel endpoints), before it listens.
    /// </summary>
    public static void CheckSignInOrLoopback(this WebApplication app)
    {
        var auth = app.Services.GetRequiredService<IOptions<AuthOptions>>().Value;
        if (auth.SignIn) return;
        var config = app.Configuration;
        var urls = (config["urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Concat(config.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"] ?? ""))
            .Concat((config["http_ports"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries).Select(p => $"http://*:{p}"))
            .Concat((config["https_ports"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries).Select(p => $"https://*:{p}"))
            .Where(u => u.Length > 0).ToList();
        var open = urls.Where(u => !IsLoopback(u)).ToList();
        // And the addresses the server really took (endpoints set in code, defaults): a second look once it listens.
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            if (app.Urls.Where(u => !IsLoopback(u)).ToList() is not { Count: > 0 } bound) return;
            Console.Error.WriteLine($"Sign-in is off (Auth:SignIn=false) and the dashboard listens on {string.Join(", ", bound)}, which is not loopback: stopping.");
            Environment.ExitCode = 2;
            app.Lifetime.StopApplication();
        });
        if (open.Count == 0) return;
        throw new InvalidOperationException(
            $"Sign-in is off (Auth:SignIn=false) and the dashboard would listen on {string.Join(", ", open)}, which is not loopback: " +
            "anyone reaching that address could launch runs on this machine. Turn sign-in on (Auth__SignIn=true, with a first admin " +
            "from Auth__AdminName and Auth__AdminPassword, or `dotnet Dashboard.Web.dll create-admin NAME`), or listen on 127.0.0.1 only.");
    }

    /// <summary>
    /// Whether a listening address (or a bare host name) is loopback, read as Kestrel reads it: "localhost", or a host
    /// that is wholly a loopback IP. Kestrel binds any other host, or one it cannot parse, to every interface.
    /// </summary>
    public static bool IsLoopback(string urlOrHost)
    {
        string host;
        if (urlOrHost.Contains("://"))
        {
            try { host = BindingAddress.Parse(urlOrHost).Host; }
            catch (FormatException) { return false; }
        }
        else host = urlOrHost;
        if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip) && ip.ToString() == host);
    }

    /// <summary>The first admin, from configuration, when sign-in is on and no user exists yet.</summary>
    public static async Task EnsureFirstAdminAsync(this WebApplication app)
    {
        var auth = app.Services.GetRequiredService<IOptions<AuthOptions>>().Value;
        var dbs = app.Services.GetRequiredService<IDbContextFactory<DashboardDb>>();
        await using var db = await dbs.CreateDbContextAsync();
        if (!auth.SignIn || await db.Users.AnyAsync()) return;
        if (string.IsNullOrEmpty(auth.AdminName) || string.IsNullOrEmpty(auth.AdminPassword))
            throw new InvalidOperationException("Sign-in is on and there is no user yet: set Auth__AdminName and Auth__AdminPassword for the first admin, " +
                                                "or run `dotnet Dashboard.Web.dll create-admin NAME` once.");
        await app.Services.GetRequiredService<Passwords>().CreateAsync(auth.AdminName, auth.AdminPassword, Roles.Admin);
        app.Logger.LogInformation("Created the first admin, {Name}", auth.AdminName);
    }
}
