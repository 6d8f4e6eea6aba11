using System.Net;
using System.Text.Encodings.Web;
using Dashboard.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Dashboard.Web.Auth;

/// <summary>
/// Sign-in off (the embedded default): a caller on this machine is the admin "local". The dashboard then listens
/// on loopback only (checked at start-up); a request from elsewhere is still refused here.
/// </summary>
public sealed class LocalCallerHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Local";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var remote = Context.Connection.RemoteIpAddress;
        // No address: an in-process caller (the test host).
        if (remote is not null && !IPAddress.IsLoopback(remote))
            return Task.FromResult(AuthenticateResult.Fail("sign-in is off, so only callers on this machine are served"));
        // A proxy on this machine makes every visitor look local: with sign-in off, proxied requests are refused.
        if (Request.Headers.ContainsKey("X-Forwarded-For") || Request.Headers.ContainsKey("Forwarded") || Request.Headers.ContainsKey("X-Real-IP"))
            return Task.FromResult(AuthenticateResult.Fail("sign-in is off, so requests through a proxy are refused; turn sign-in on"));
        // A page elsewhere that points its own host name at 127.0.0.1 (DNS rebinding) reaches us with its name.
        if (!AuthSetup.IsLoopback(Request.Host.Host))
            return Task.FromResult(AuthenticateResult.Fail($"sign-in is off, so only localhost is served, not {Request.Host.Host}"));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(CurrentUser.Principal(CurrentUser.LocalName, Roles.Admin, LocalCallerHandler.SchemeName), LocalCallerHandler.SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        return Task.CompletedTask;
    }
}
