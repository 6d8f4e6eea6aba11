using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Dashboard.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dashboard.Web.Auth;

/// <summary>
/// Tokens for scripts: "dash_" + a 12-character prefix + 32 random bytes. The database keeps the prefix (to find the
/// row) and the SHA-256 of the whole token; a token is shown once, when it is made. Tokens are long and random, so a
/// fast hash is enough (unlike passwords).
/// </summary>
public static class ApiTokens
{
    public const string Scheme = "Bearer";
    private const string Start = "dash_";

    public static (string Token, string Prefix, string Hash) New()
    {
        var prefix = Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant();
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        var token = $"{Start}{prefix}_{secret}";
        return (token, prefix, HashOf(token));
    }

    public static string HashOf(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token))).ToLowerInvariant();

    public static string? PrefixOf(string token) =>
        token.StartsWith(Start, StringComparison.Ordinal) && token.Length > Start.Length + 13 && token[Start.Length + 12] == '_'
            ? token.Substring(Start.Length, 12) : null;

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>Authorization: Bearer dash_…: the token's owner, with the token's role, while neither is revoked or disabled.</summary>
public sealed class ApiTokenHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    IDbContextFactory<DashboardDb> dbs) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>Last use is written at most this often per token, not on every call of a busy script.</summary>
    private static readonly TimeSpan LastUseResolution = TimeSpan.FromMinutes(1);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.NoResult();
        var token = header["Bearer ".Length..].Trim();
        if (ApiTokens.PrefixOf(token) is not { } prefix) return AuthenticateResult.Fail("not a dashboard token");
        await using var db = await dbs.CreateDbContextAsync(Context.RequestAborted);
        var row = await db.ApiTokens.Include(t => t.User).FirstOrDefaultAsync(t => t.Prefix == prefix, Context.RequestAborted);
        var hash = ApiTokens.HashOf(token);
        if (row is null || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(row.Hash), Encoding.ASCII.GetBytes(hash)))
            return AuthenticateResult.Fail("unknown token");
        if (row.RevokedAt is not null) return AuthenticateResult.Fail("the token was revoked");
        if (row.User!.Disabled) return AuthenticateResult.Fail("the token's user is disabled");
        var now = DateTime.UtcNow;
        if (row.LastUsedAt is null || now - row.LastUsedAt > LastUseResolution)
            await db.ApiTokens.Where(t => t.Id == row.Id).ExecuteUpdateAsync(u => u.SetProperty(t => t.LastUsedAt, now), Context.RequestAborted);
        // A token never does more than its owner may now.
        var role = Roles.Rank(row.Role) <= Roles.Rank(row.User.Role) ? row.Role : row.User.Role;
        return AuthenticateResult.Success(new AuthenticationTicket(CurrentUser.Principal(row.User.Name, role, ApiTokens.Scheme), ApiTokens.Scheme));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        return Task.CompletedTask;
    }
}
