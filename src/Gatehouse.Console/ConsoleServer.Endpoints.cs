using System.Text;
using Gatehouse.NodeSets;
using Gatehouse.WebConsole.Gateways;
using Gatehouse.WebConsole.Runs;
using Gatehouse.WebConsole.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gatehouse.WebConsole;

public sealed partial class ConsoleServer
{
    private const string Unauthorized = "401 Unauthorized: this console needs the session made by the link 'gatehouse console' printed (the link works once; start the console again for a new one).\n";

    /// <summary>
    /// What every request passes, in order: security headers; <c>/login?token=</c> (spends the token,
    /// sets the session cookie, redirects to <c>/</c> without the token); a session cookie for
    /// everything else (401 without one); the same-origin check for anything but GET and HEAD (403).
    /// </summary>
    private static void MapPipeline(WebApplication app, SessionGate gate, ILogger logger)
    {
        app.Use(async (context, next) =>
        {
            var request = context.Request;
            var response = context.Response;
            RequestGuard.AddSecurityHeaders(response.Headers);
            string? remote = context.Connection.RemoteIpAddress?.ToString();
            if (request.Path == "/login")
            {
                string? session = HttpMethods.IsGet(request.Method) ? gate.Redeem(request.Query["token"]) : null;
                if (session is null)
                {
                    Log.LoginRefused(logger, remote);
                    await Refuse(response, StatusCodes.Status401Unauthorized, Unauthorized);
                    return;
                }

                Log.SessionOpened(logger, remote);
                response.Cookies.Append(SessionGate.CookieName, session, new CookieOptions
                {
                    HttpOnly = true,
                    SameSite = SameSiteMode.Strict,
                    Path = "/",
                    Secure = request.IsHttps,
                    IsEssential = true,
                });
                response.StatusCode = StatusCodes.Status303SeeOther;
                response.Headers.Location = "/";
                return;
            }

            if (!gate.IsSession(request.Cookies[SessionGate.CookieName]))
            {
                await Refuse(response, StatusCodes.Status401Unauthorized, Unauthorized);
                return;
            }

            if (!RequestGuard.IsSafe(request.Method) && !RequestGuard.IsSameOrigin(request.Headers, $"{request.Scheme}://{request.Host}"))
            {
                Log.CrossSiteRefused(logger, request.Method, request.Path, request.Headers.Origin, request.Headers["Sec-Fetch-Site"], request.Headers.ContainsKey(RequestGuard.ConsoleHeader));
                await Refuse(response, StatusCodes.Status403Forbidden, "403 Forbidden: a request that changes something must come from the console's own page (same origin).\n");
                return;
            }

            await next(context);
        });
    }

    private static Task Refuse(HttpResponse response, int status, string text)
    {
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        return response.WriteAsync(text);
    }

    private static void MapEndpoints(WebApplication app, ClusterReader reader, RunRegistry runs, ILogger logger)
    {
        app.MapGet("/api/cluster", (CancellationToken ct) => reader.ReadClusterAsync(ct));
        app.MapGet("/api/services", (CancellationToken ct) => reader.ReadServicesAsync(ct));
        app.MapGet("/api/nodeset", async (string? expr, CancellationToken ct) =>
        {
            var (members, _) = await reader.MembersAsync(ct);
            try
            {
                var nodes = NodeSet.Parse(expr ?? string.Empty, ClusterReader.Groups(reader.Options, members).ParseOptions with { MaxNodes = reader.Options.MaxRunNodes });
                return Results.Ok(new { nodes = nodes.ToArray(), folded = nodes.Fold(), count = nodes.Count });
            }
            catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
            {
                // A preview while the user types: an unfinished node set is an answer, not a failed request.
                return Results.Ok(new { error = ex.Message });
            }
        });

        app.MapPost("/api/runs", async (RunRequest request, CancellationToken ct) =>
        {
            var (run, error, busy) = await runs.StartAsync(request, ct);
            if (run is null)
            {
                return Results.Json(new { error }, statusCode: busy ? StatusCodes.Status429TooManyRequests : StatusCodes.Status400BadRequest);
            }

            Log.RunStarted(logger, run.Id, request.Domain ?? Protocol.RequestHeader.DefaultDomain, request.Command!, request.Nodes!, run.NodeCount);
            return Results.Json(new { id = run.Id }, statusCode: StatusCodes.Status201Created);
        });

        app.MapPost("/api/runs/{id}/cancel", (string id) =>
        {
            if (runs.Find(id) is not { } run)
            {
                return Results.NotFound(new { error = "no such run" });
            }

            Log.RunCancelled(logger, id);
            run.Cancel();
            return Results.Accepted();
        });

        app.MapGet("/api/runs/{id}/events", async (string id, HttpContext context, CancellationToken ct) =>
        {
            if (runs.Find(id) is not { } run)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            int from = int.TryParse(context.Request.Headers["Last-Event-ID"], out int last) ? last + 1 : 0;
            context.Response.ContentType = "text/event-stream; charset=utf-8";
            await context.Response.Body.FlushAsync(ct);
            try
            {
                await foreach (var (number, json) in run.ReadAsync(from, ct))
                {
                    await context.Response.WriteAsync($"id: {number}\ndata: {json}\n\n", Encoding.UTF8, ct);
                    await context.Response.Body.FlushAsync(ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // The page went away; the run goes on.
            }
        });

        app.MapGet("/{**path}", (HttpContext context) =>
        {
            return StaticAssets.TryGet(context.Request.Path.Value ?? "/", out string type, out byte[] content)
                ? Results.Bytes(content, type)
                : Results.NotFound();
        });
    }
}
