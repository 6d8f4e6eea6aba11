using System.Security.Claims;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Web.Auth;

/// <summary>
/// Whether a signed-in session still stands: the user exists and is enabled, the password has not changed since (the
/// security stamp), and the session is younger than the absolute limit. Checked on every request by the cookie, and
/// every few seconds for an open page's circuit (CircuitUserCheck).
/// </summary>
public static class Sessions
{
    /// <summary>The session's user as stored now, or null when the session has ended.</summary>
    public static async Task<User?> CheckAsync(DashboardDb db, ClaimsPrincipal principal, AuthOptions auth, CancellationToken ct = default)
    {
        var name = principal.Name();
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Name == name, ct);
        var signedIn = SignedInAt(principal);
        if (user is null || user.Disabled || principal.FindFirst(CurrentUser.StampClaim)?.Value != user.SecurityStamp
            || DateTime.UtcNow - signedIn > TimeSpan.FromHours(auth.MaxSessionHours))
            return null;
        return user;
    }

    public static DateTime SignedInAt(ClaimsPrincipal principal) =>
        DateTime.TryParse(principal.FindFirst(CurrentUser.SignedInClaim)?.Value, null,
            System.Globalization.DateTimeStyles.RoundtripKind, out var t) ? t : DateTime.MinValue;
}
