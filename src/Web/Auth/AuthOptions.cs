using System.ComponentModel.DataAnnotations;

namespace Dashboard.Web.Auth;

/// <summary>Section "Auth": sign-in, and the first admin. Off by default, which is allowed only on loopback.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>Cookie sign-in for people and bearer tokens for scripts. Off: every local caller acts as an admin named "local".</summary>
    public bool SignIn { get; set; }

    /// <summary>Created as an admin at start-up when no user exists yet (with <see cref="AdminPassword"/>).</summary>
    public string? AdminName { get; set; }
    public string? AdminPassword { get; set; }

    /// <summary>A session idle this long ends (sliding).</summary>
    [Range(1, 24 * 30)]
    public int SessionHours { get; set; } = 12;

    /// <summary>A session ends this long after signing in, however active.</summary>
    [Range(1, 24 * 90)]
    public int MaxSessionHours { get; set; } = 24 * 7;

    /// <summary>How often an open page's circuit checks that its user's session still stands (CircuitUserCheck).</summary>
    [Range(1, 3600)]
    public int CircuitCheckSeconds { get; set; } = 30;
}
