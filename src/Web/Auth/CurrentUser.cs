using System.Security.Claims;
using Dashboard.Data;

namespace Dashboard.Web.Auth;

/// <summary>Who is asking, as the pages and the API check it.</summary>
public static class CurrentUser
{
    public const string LocalName = "local";

    public static string Name(this ClaimsPrincipal user) => user.Identity?.Name ?? "anonymous";

    public static string Role(this ClaimsPrincipal user) => user.FindFirstValue(ClaimTypes.Role) ?? "";

    public static bool Can(this ClaimsPrincipal user, string role) => user.Identity?.IsAuthenticated == true && Roles.Includes(user.Role(), role);

    /// <summary>Researchers change the runs they launched; admins any run.</summary>
    public static bool MayChange(this ClaimsPrincipal user, Run run) =>
        user.Can(Roles.Admin) || (user.Can(Roles.Researcher) && run.LaunchedBy == user.Name());

    public const string StampClaim = "stamp", SignedInClaim = "signed_in";

    public static ClaimsPrincipal Principal(string name, string role, string scheme) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, role)], scheme, ClaimTypes.Name, ClaimTypes.Role));

    /// <summary>A session's principal: also the user's security stamp and when they signed in, checked on every request.</summary>
    public static ClaimsPrincipal Session(User user, string scheme, DateTime signedIn) =>
        new(new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, user.Name), new Claim(ClaimTypes.Role, user.Role), new Claim(StampClaim, user.SecurityStamp),
             new Claim(SignedInClaim, signedIn.ToString("O"))], scheme, ClaimTypes.Name, ClaimTypes.Role));
}
