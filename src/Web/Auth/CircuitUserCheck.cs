using Dashboard.Data;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dashboard.Web.Auth;

/// <summary>
/// The signed-in user of an open page's circuit, checked again every Auth:CircuitCheckSeconds with the cookie's own
/// check (Sessions): a circuit outlives the request that opened it, so a user signed out elsewhere, disabled, given a
/// new password or with a changed role would otherwise keep acting through a page left open. When the check fails the
/// circuit's user becomes anonymous and the pages' actions refuse. The callers that need no cookie (the local caller
/// with sign-in off) stay as they are.
/// </summary>
public sealed class CircuitUserCheck(ILoggerFactory logs, IDbContextFactory<DashboardDb> dbs, IOptions<AuthOptions> auth)
    : RevalidatingServerAuthenticationStateProvider(logs)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromSeconds(auth.Value.CircuitCheckSeconds);

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState state, CancellationToken ct)
    {
        var principal = state.User;
        if (principal.Identity?.AuthenticationType != CookieAuthenticationDefaults.AuthenticationScheme) return true;
        await using var db = await dbs.CreateDbContextAsync(ct);
        var user = await Sessions.CheckAsync(db, principal, auth.Value, ct);
        // A changed role ends the circuit's session too: the page is opened again with the new one.
        return user is not null && user.Role == principal.Role();
    }
}
