namespace Dashboard.Web.Auth;

/// <summary>
/// Refuses a state-changing request that another web page made the browser send: a POST, PUT, PATCH or DELETE from
/// a foreign origin (Origin header) or marked cross-site or same-site by the browser (Sec-Fetch-Site; same-site still
/// includes other ports and subdomains of this host). Bearer-token scripts send neither header and are let through.
/// Forms carry antiforgery tokens as well; this also covers the API, which a cookie or a local caller may use.
/// </summary>
public static class CrossSiteGuard
{
    public static void UseCrossSiteGuard(this WebApplication app) =>
        app.Use(async (context, next) =>
        {
            if (Refusal(context.Request) is { } reason)
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                await context.Response.WriteAsync(reason);
                return;
            }
            await next(context);
        });

    public static string? Refusal(HttpRequest request)
    {
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method)) return null;
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site is "cross-site" or "same-site") return $"refused: a {site} request may not change anything here";
        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0 && origin != "null" &&
            (!Uri.TryCreate(origin, UriKind.Absolute, out var o) || !string.Equals(o.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase)))
            return $"refused: a request from {origin} may not change anything here";
        if (origin == "null") return "refused: a request from an opaque origin may not change anything here";
        return null;
    }
}
