using Microsoft.AspNetCore.Http;

namespace Gatehouse.WebConsole.Security;

/// <summary>
/// The rules every request passes before any page or API (docs/console.md, "Security model"), as
/// pure functions over the request's method and headers: the security headers of every answer, and
/// the cross-site check of state-changing requests.
/// </summary>
internal static class RequestGuard
{
    /// <summary>The header the console's own script sends on every POST; a form or a cross-site page cannot send it without a CORS preflight the console never grants.</summary>
    public const string ConsoleHeader = "X-Gatehouse-Console";

    /// <summary>Adds the headers every answer carries: a strict CSP, no framing, no referrer, no sniffing, no caching.</summary>
    public static void AddSecurityHeaders(IHeaderDictionary headers)
    {
        headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.XContentTypeOptions = "nosniff";
        headers.CacheControl = "no-store";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
    }

    /// <summary>True for methods that change nothing (GET, HEAD); everything else is checked by <see cref="IsSameOrigin"/>.</summary>
    public static bool IsSafe(string method) => HttpMethods.IsGet(method) || HttpMethods.IsHead(method);

    /// <summary>
    /// True when a state-changing request comes from the console's own page: it carries
    /// <see cref="ConsoleHeader"/>, its <c>Sec-Fetch-Site</c> (when the browser sends one) is
    /// <c>same-origin</c>, and its <c>Origin</c> (when sent) is this console's own origin.
    /// </summary>
    /// <param name="headers">The request's headers.</param>
    /// <param name="ownOrigin">This console's origin as the browser names it (<c>http://HOST:PORT</c>, from the request's Host).</param>
    public static bool IsSameOrigin(IHeaderDictionary headers, string ownOrigin)
    {
        if (headers[ConsoleHeader] != "1")
        {
            return false;
        }

        string? site = headers["Sec-Fetch-Site"];
        if (site is not null && site != "same-origin")
        {
            return false;
        }

        string? origin = headers.Origin;
        return origin is null || string.Equals(origin, ownOrigin, StringComparison.OrdinalIgnoreCase);
    }
}
