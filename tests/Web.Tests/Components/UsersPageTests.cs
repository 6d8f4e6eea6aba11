using Bunit;
using Dashboard.Data;
using Dashboard.Web.Auth;
using Dashboard.Web.Components.Pages.Admin;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Web.Tests.Components;

/// <summary>The Users page in its circuit: add a user; the last active admin can neither be disabled nor lose the role.</summary>
public class UsersPageTests : StoredDbContext
{
    [Fact]
    public async Task An_admin_adds_a_user_and_the_last_admin_stays_an_active_admin()
    {
        await Services.GetRequiredService<Passwords>().CreateAsync("root", "admin-password-1", Roles.Admin);
        var auth = Auth;
        auth.SetAuthorized("root");
        auth.SetRoles(Roles.Admin);
        var page = Render<Users>();

        page.Find("#user-name").Change("frank");
        page.Find("#user-password").Change("a-long-password");
        page.Find("#user-role").Change(Roles.Viewer);
        page.Find("#user-form").Submit();
        page.WaitForAssertion(() => Assert.Equal("Added frank (viewer).", page.Find("#users-message").TextContent));
        Assert.Equal(Roles.Viewer, page.Find("tr[data-user=frank] .user-role").TextContent);

        page.Find("tr[data-user=root] .toggle-user").Click();
        page.WaitForAssertion(() => Assert.Equal("The last active admin cannot be disabled.", page.Find("#users-message").TextContent));
        page.Find("tr[data-user=root] .user-new-role").Change(Roles.Viewer);
        page.Find("tr[data-user=root] .set-role").Click();
        page.WaitForAssertion(() => Assert.Equal("The last active admin keeps the admin role.", page.Find("#users-message").TextContent));
        Assert.Equal(Roles.Admin, page.Find("tr[data-user=root] .user-role").TextContent);
        Assert.Equal("active", page.Find("tr[data-user=root] .user-state").TextContent);

        page.Find("#user-name").Change("gina");
        page.Find("#user-password").Change("short");
        page.Find("#user-form").Submit();
        page.WaitForAssertion(() => Assert.StartsWith("Not added:", page.Find("#users-message").TextContent));
        using var db = Db();
        Assert.Equal(["frank", "root"], db.Users.Select(u => u.Name).OrderBy(n => n).ToList());
    }

    [Fact]
    public async Task A_page_left_open_after_losing_the_admin_role_changes_nothing()
    {
        await Services.GetRequiredService<Passwords>().CreateAsync("root", "admin-password-1", Roles.Admin);
        var auth = Auth;
        auth.SetAuthorized("root");
        auth.SetRoles(Roles.Admin);
        var page = Render<Users>();
        // What CircuitUserCheck does when the session ends: the circuit's user changes under the open page.
        auth.SetAuthorized("root");
        auth.SetRoles(Roles.Viewer);
        page.Render();
        page.Find("#user-name").Change("mallory");
        page.Find("#user-password").Change("a-long-password");
        page.Find("#user-form").Submit();
        page.WaitForAssertion(() => Assert.Contains("needs an admin", page.Find("#users-message").TextContent));
        using var db = Db();
        Assert.DoesNotContain(db.Users, u => u.Name == "mallory");
    }
}
