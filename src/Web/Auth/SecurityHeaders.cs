namespace Dashboard.Web.Auth;

/// <summary>Headers that keep the pages from being framed, sniffed or made to load scripts from elsewhere.</summary>
public static class SecurityHeaders
{
    // Inline module scripts start each page's script and plotly writes inline styles; everything loads from here.
    private const string Policy = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; " +
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
