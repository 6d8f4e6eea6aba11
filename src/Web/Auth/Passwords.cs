using Dashboard.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Web.Auth;

/// <summary>Users and their passwords: the framework's PasswordHasher (salted PBKDF2), never the password itself.</summary>
public sealed class Passwords(IDbContextFactory<DashboardDb> dbs)
{
    private static readonly PasswordHasher<User> Hasher = new();
    public const int MinLength = 10;

    /// <summary>Why a name, password or role cannot be used, or null.</summary>
    public static string? Problem(string name, string password, string role) =>
        !System.Text.RegularExpressions.Regex.IsMatch(name, "^[A-Za-z0-9_.@-]{1,64}$") ? "a name is 1 to 64 letters, digits, '.', '@', '-' or '_'"
        : name == CurrentUser.LocalName ? "'local' is the name of the caller while sign-in is off"
        : password.Length < MinLength ? $"a password has at least {MinLength} characters"
        : !Roles.All.Contains(role) ? $"a role is one of {string.Join(", ", Roles.All)}"
        : null;

    /// <summary>A new user; an unusable name, password or role, or a name already taken, throws ArgumentException saying which.</summary>
    public async Task<User> CreateAsync(string name, string password, string role, CancellationToken ct = default)
    {
        if (Problem(name, password, role) is { } problem) throw new ArgumentException(problem);
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (await db.Users.AnyAsync(u => u.Name == name, ct)) throw new ArgumentException($"there is already a user {name}");
        var user = new User { Name = name, PasswordHash = "", Role = role, CreatedAt = DateTime.UtcNow };
        user.PasswordHash = Hasher.HashPassword(user, password);
        db.Users.Add(user);
        await db.SaveChangesAsync(ct);
        return user;
    }

    /// <summary>The user, when the name and password match an enabled account.</summary>
    public async Task<User?> CheckAsync(string name, string password, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var user = await db.Users.FirstOrDefaultAsync(u => u.Name == name && !u.Disabled, ct);
        if (user is null)
        {
            // As slow as a real check, so that the time taken does not tell which names exist.
            Hasher.VerifyHashedPassword(new User { Name = "", PasswordHash = "", Role = "" }, DummyHash, password);
            return null;
        }
        var result = Hasher.VerifyHashedPassword(user, user.PasswordHash, password);
        if (result == PasswordVerificationResult.Failed) return null;
        if (result == PasswordVerificationResult.SuccessRehashNeeded)
        {
            user.PasswordHash = Hasher.HashPassword(user, password);
            await db.SaveChangesAsync(ct);
        }
        return user;
    }

    public async Task SetPasswordAsync(long userId, string password, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var user = await db.Users.FirstAsync(u => u.Id == userId, ct);
        user.PasswordHash = Hasher.HashPassword(user, password);
        // Every session signed in with the old password ends.
        user.SecurityStamp = User.NewStamp();
        await db.SaveChangesAsync(ct);
    }

    private static readonly string DummyHash = Hasher.HashPassword(new User { Name = "", PasswordHash = "", Role = "" }, Guid.NewGuid().ToString());
}
