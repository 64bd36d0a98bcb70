using System.Net;
using System.Net.Http.Json;
using Gatehouse.WebConsole;
using Gatehouse.WebConsole.Security;

namespace Gatehouse.Console.Tests;

/// <summary>
/// The console's security model over real HTTP (docs/console.md, "Security model"): nothing
/// answers without the session the one-time token opens; the token works once and only whole; the
/// session cookie is HttpOnly and SameSite=Strict; a state-changing request from anywhere but the
/// console's own page is refused; every answer carries the security headers.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ConsoleSecurityTests(ClusterFixture cluster)
{
    private static readonly string[] Gets = ["/", "/index.html", "/app.js", "/app.css", "/favicon.svg", "/api/cluster", "/api/services", "/api/nodeset?expr=%40cluster", "/api/runs/0123/events", "/no-such-page"];

    private static readonly string[] Posts = ["/api/runs", "/api/runs/0123/cancel"];

    private static HttpClient Client(ConsoleServer server, CookieContainer? cookies = null) =>
        new(new HttpClientHandler { CookieContainer = cookies ?? new CookieContainer(), UseCookies = true, AllowAutoRedirect = false }) { BaseAddress = server.BaseUri };

    private static HttpRequestMessage Post(string path, object body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.Add(RequestGuard.ConsoleHeader, "1");
        return request;
    }

    private static async Task<HttpClient> LoggedInAsync(ConsoleServer server)
    {
        var client = Client(server);
        var login = await client.GetAsync(server.LoginUrl.PathAndQuery);
        Assert.Equal(HttpStatusCode.SeeOther, login.StatusCode);
        return client;
    }

    [Fact]
    public async Task Without_the_token_every_page_and_api_answers_401_and_the_security_headers()
    {
        await using var server = await ConsoleServer.StartAsync(cluster.ConsoleOptions());
        using var client = Client(server);
        foreach (string path in Gets)
        {
            var response = await client.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"GET {path}: {(int)response.StatusCode}");
            AssertSecurityHeaders(response);
        }

        foreach (string path in Posts)
        {
            var response = await client.SendAsync(Post(path, new { nodes = "@cluster", domain = "demo", command = "hello" }));
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"POST {path}: {(int)response.StatusCode}");
        }

        Assert.True(server.Gate.TokenUnused);
        Assert.False(cluster.Calls.ContainsKey("hello"));
    }

    [Fact]
    public async Task A_wrong_token_answers_401_everywhere_and_does_not_spend_the_right_one()
    {
        await using var server = await ConsoleServer.StartAsync(cluster.ConsoleOptions());
        using var client = Client(server);
        string wrong = server.Gate.Token[..^1] + (server.Gate.Token[^1] == 'A' ? 'B' : 'A');
        foreach (string token in new[] { wrong, server.Gate.Token[..20], "", server.Gate.Token + "x" })
        {
            var login = await client.GetAsync("/login?token=" + Uri.EscapeDataString(token));
            Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);
            Assert.False(login.Headers.Contains("Set-Cookie"));
        }

        // A made-up session cookie opens nothing either.
        var forged = new CookieContainer();
        forged.Add(server.BaseUri, new Cookie(SessionGate.CookieName, SessionGate.NewSecret()));
        using var forger = Client(server, forged);
        foreach (string path in Gets)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await forger.GetAsync(path)).StatusCode);
        }

        Assert.True(server.Gate.TokenUnused);
        Assert.Equal(HttpStatusCode.SeeOther, (await client.GetAsync(server.LoginUrl.PathAndQuery)).StatusCode);
    }

    [Fact]
    public async Task The_token_opens_one_session_with_a_strict_httponly_cookie_redirects_to_a_url_without_it_and_cannot_be_used_twice()
    {
        await using var server = await ConsoleServer.StartAsync(cluster.ConsoleOptions());
        var cookies = new CookieContainer();
        using var client = Client(server, cookies);
        var login = await client.GetAsync(server.LoginUrl.PathAndQuery);
        Assert.Equal(HttpStatusCode.SeeOther, login.StatusCode);
        Assert.Equal("/", login.Headers.Location!.OriginalString);
        AssertSecurityHeaders(login);
        string setCookie = Assert.Single(login.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith(SessionGate.CookieName + "=", setCookie, StringComparison.Ordinal);
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", setCookie, StringComparison.OrdinalIgnoreCase);
        string session = cookies.GetCookies(server.BaseUri)[SessionGate.CookieName]!.Value;
        Assert.Equal(43, session.Length); // 256 bits, base64url
        Assert.DoesNotContain(server.Gate.Token, session, StringComparison.Ordinal);

        foreach (string path in new[] { "/", "/app.js", "/app.css", "/api/cluster", "/api/services" })
        {
            var page = await client.GetAsync(path);
            Assert.True(page.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)page.StatusCode}");
            AssertSecurityHeaders(page);
        }

        // The same link again, from another browser or this one: refused.
        using var second = Client(server);
        Assert.Equal(HttpStatusCode.Unauthorized, (await second.GetAsync(server.LoginUrl.PathAndQuery)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(server.LoginUrl.PathAndQuery)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await second.GetAsync("/api/cluster")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/cluster")).StatusCode); // the session stays
    }

    [Fact]
    public async Task A_cross_site_post_with_the_session_cookie_is_refused_and_runs_nothing()
    {
        await using var server = await ConsoleServer.StartAsync(cluster.ConsoleOptions());
        using var client = await LoggedInAsync(server);
        string key = "csrf-" + Guid.NewGuid().ToString("N")[..8];
        var body = new { nodes = "@cluster", domain = "demo", command = "stream", args = new[] { key } };
        string own = server.BaseUri.GetLeftPart(UriPartial.Authority);

        var attempts = new List<(string What, HttpRequestMessage Request)>();
        var evilOrigin = Post("/api/runs", body);
        evilOrigin.Headers.Add("Origin", "http://attacker.example");
        attempts.Add(("another Origin", evilOrigin));
        var crossSite = Post("/api/runs", body);
        crossSite.Headers.Add("Sec-Fetch-Site", "cross-site");
        attempts.Add(("Sec-Fetch-Site: cross-site", crossSite));
        var sameSite = Post("/api/runs", body);
        sameSite.Headers.Add("Sec-Fetch-Site", "same-site"); // another port of the same host is the same site, not the same origin
        sameSite.Headers.Add("Origin", "http://127.0.0.1:1");
        attempts.Add(("Sec-Fetch-Site: same-site", sameSite));
        var noHeader = new HttpRequestMessage(HttpMethod.Post, "/api/runs") { Content = JsonContent.Create(body) };
        noHeader.Headers.Add("Origin", own);
        attempts.Add(("no console header (a plain form)", noHeader));
        var cancel = new HttpRequestMessage(HttpMethod.Post, "/api/runs/0123/cancel");
        cancel.Headers.Add("Origin", "http://attacker.example");
        attempts.Add(("cancel from another Origin", cancel));

        foreach (var (what, request) in attempts)
        {
            var response = await client.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{what}: {(int)response.StatusCode}");
        }

        Assert.False(cluster.Calls.ContainsKey("stream " + key));

        // The console's own page (same origin, its header) may.
        var own1 = Post("/api/runs", body);
        own1.Headers.Add("Origin", own);
        own1.Headers.Add("Sec-Fetch-Site", "same-origin");
        var ok = await client.SendAsync(own1);
        Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        cluster.Gates.GetOrAdd(key, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        await ClusterFixture.Until(() => cluster.Calls.GetValueOrDefault("stream " + key) == 3, TimeSpan.FromSeconds(20), "the same-origin run did not reach the three services");
    }

    [Fact]
    public async Task A_run_with_a_bad_node_set_or_no_command_is_refused_with_one_line()
    {
        await using var server = await ConsoleServer.StartAsync(cluster.ConsoleOptions());
        using var client = await LoggedInAsync(server);
        foreach (var (body, expected) in new (object, string)[]
        {
            (new { nodes = "gw[1-", domain = "demo", command = "hello" }, "gw[1-"),
            (new { nodes = "@cluster", domain = "demo", command = "" }, "command"),
            (new { nodes = "", domain = "demo", command = "hello" }, "nodes"),
            (new { nodes = "@nosuchgroup", domain = "demo", command = "hello" }, "nosuchgroup"),
        })
        {
            var request = Post("/api/runs", body);
            var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var error = (await response.Content.ReadFromJsonAsync<Dictionary<string, string>>())!["error"];
            Assert.Contains(expected, error, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("\n", error.TrimEnd(), StringComparison.Ordinal);
        }
    }

    private static void AssertSecurityHeaders(HttpResponseMessage response)
    {
        string csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
    }
}
