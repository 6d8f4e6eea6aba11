namespace Dashboard.Web.Alerts;

public static class AlertLinks
{
    /// <summary>
    /// The first address this process listens on, as others can reach it: a wildcard host ("http://0.0.0.0:8080",
    /// "http://[::]:8080", "http://+:80") becomes this machine's name. Null when it listens on none (a test server).
    /// </summary>
    public static string? Reachable(IEnumerable<string> urls)
    {
        var url = urls.FirstOrDefault();
        if (url is null) return null;
        var wildcard = new[] { "://0.0.0.0", "://[::]", "://+", "://*" }.FirstOrDefault(url.Contains);
        return wildcard is null ? url : url.Replace(wildcard, "://" + Environment.MachineName);
    }
}
