using Dashboard.Web.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Mvc;

namespace Dashboard.Web.Api;

/// <summary>Sign-in and sign-out: the forms of the sign-in page and the navigation bar post here (antiforgery checked).</summary>
public static class AccountApi
{
    public static void MapAccountApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/account/login", async ([FromForm] string? name, [FromForm] string? password, [FromForm] string? returnUrl,
            HttpContext http, Passwords passwords, Microsoft.Extensions.Options.IOptions<AuthOptions> auth, ILogger<Passwords> log) =>
        {
            var back = SafeReturn(returnUrl);
            if (!auth.Value.SignIn) return Results.LocalRedirect(back);
            var user = await passwords.CheckAsync(name ?? "", password ?? "");
            if (user is null)
            {
                // The name is logged when it is a valid one (a password typed into it, or a forged log line, is not).
                var shown = Passwords.Problem(name ?? "", new string('x', Passwords.MinLength), Data.Roles.Viewer) is null ? name : "(not a valid name)";
                log.LogWarning("Failed sign-in for {Name} from {Remote}", shown, http.Connection.RemoteIpAddress);
                return Results.LocalRedirect($"/login?failed=1&returnUrl={Uri.EscapeDataString(back)}");
            }
            await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, CurrentUser.Session(user, CookieAuthenticationDefaults.AuthenticationScheme, DateTime.UtcNow));
            return Results.LocalRedirect(back);
        }).AllowAnonymous().RequireRateLimiting(AuthSetup.SignInLimit);

        app.MapPost("/account/logout", async (HttpContext http) =>
        {
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.LocalRedirect("/login");
        }).AllowAnonymous().WithMetadata(new RequireAntiforgeryTokenAttribute());
    }

    /// <summary>Only a path on this site: a crafted link must not send people elsewhere after they sign in.</summary>
    private static string SafeReturn(string? url) =>
        !string.IsNullOrEmpty(url) && url.StartsWith('/') && !url.StartsWith("//") && !url.StartsWith("/\\") && !url.Any(char.IsControl) ? url : "/";
}
