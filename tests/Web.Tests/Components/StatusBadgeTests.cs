using Bunit;
using Dashboard.Data;
using Dashboard.Web.Components;

namespace Dashboard.Web.Tests.Components;

/// <summary>bUnit: components rendered on their own, without a server or a browser.</summary>
public class StatusBadgeTests : BunitContext
{
    [Theory]
    [InlineData(RunStatus.Running, "text-bg-primary")]
    [InlineData(RunStatus.Diverged, "text-bg-warning")]
    [InlineData(RunStatus.Failed, "text-bg-danger")]
    public void A_status_is_shown_in_its_colour(string status, string colour)
    {
        var badge = Render<StatusBadge>(p => p.Add(b => b.Status, status)).Find(".status-badge");
        Assert.Equal(status, badge.TextContent);
        Assert.Contains(colour, badge.ClassList);
    }
}
