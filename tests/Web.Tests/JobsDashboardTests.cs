using System.Net;
using System.Text.RegularExpressions;
using Dashboard.Data;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Dashboard.Web.Tests;

/// <summary>Hangfire's dashboard at /jobs with sign-in off: this machine's callers, as every other page.</summary>
public sealed class JobsDashboardLocalTests(DashboardFactory factory) : IClassFixture<DashboardFactory>
{
    [Fact]
    public async Task A_local_caller_sees_the_job_of_a_run_by_its_name_with_a_link_to_the_run()
    {
        using var client = factory.CreateClient();
        var id = await client.LaunchAsync("""{ "name": "jobsview", "dataset": { "name": "hyperspheres", "n": 200, "p": 8, "d": 2 }, "model": "mlp", "max_epochs": 1 }""");
        await client.WaitFinishedAsync(id);

        var list = await client.GetStringAsync("/jobs/jobs/succeeded");
        var row = Regex.Match(list, @"href=""[^""]*jobs/details/(\d+)""[^>]*>\s*train jobsview/00001\s*<");
        Assert.True(row.Success, list);
        var details = await client.GetStringAsync($"/jobs/jobs/details/{row.Groups[1].Value}");
        Assert.Contains($"<a href=\"/runs/{id}\" data-enhance-nav=\"false\">jobsview/00001</a>", details);
    }

    [Fact]
    public async Task A_page_that_rebinds_its_name_to_this_machine_does_not_reach_the_jobs()
    {
        using var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/jobs")).StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/jobs");
        request.Headers.Host = "evil.example:5000";
        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(request)).StatusCode);
    }
}

/// <summary>/jobs with sign-in on: admins only.</summary>
public sealed class JobsDashboardSignInTests(SignInFactory app) : IClassFixture<SignInFactory>
{
    [Fact]
    public async Task Admins_open_the_jobs_viewers_are_refused_and_anonymous_callers_are_sent_to_sign_in()
    {
        using var anonymous = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var redirect = await anonymous.GetAsync("/jobs");
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        Assert.StartsWith("http://localhost/login", redirect.Headers.Location!.ToString());

        using var viewer = await app.ClientAsAsync("jobs-viewer", Roles.Viewer);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.GetAsync("/jobs")).StatusCode);
        using var researcher = await app.ClientAsAsync("jobs-researcher", Roles.Researcher);
        Assert.Equal(HttpStatusCode.Forbidden, (await researcher.GetAsync("/jobs/servers")).StatusCode);

        using var admin = await app.ClientAsAsync("jobs-admin", Roles.Admin);
        var page = await admin.GetAsync("/jobs/servers");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        // This process is a Hangfire server (embedded mode), listed under its process name.
        Assert.Contains(ProcessIdentity.Name, await page.Content.ReadAsStringAsync());
    }
}
