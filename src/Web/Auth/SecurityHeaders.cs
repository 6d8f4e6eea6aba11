namespace Dashboard.Web.Auth;

/// <summary>Headers that keep the pages from being framed, sniffed or made to load scripts from elsewhere.</summary>
public static class SecurityHeaders
{
    // Scripts only from this site, none inline (wwwroot/js/app.js starts each page's); plotly writes inline styles.
    private const string Policy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
                                  "img-src 'self' data: blob:; connect-src 'self'; font-src 'self' data:; object-src 'none'; " +
                                  "base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    public static void UseSecurityHeaders(this WebApplication app) =>
        app.Use((context, next) =>
        {
            var h = context.Response.Headers;
            h.XContentTypeOptions = "nosniff";
            h.XFrameOptions = "DENY";
            h["Referrer-Policy"] = "same-origin";
            h.ContentSecurityPolicy = Policy;
            return next(context);
        });
}
