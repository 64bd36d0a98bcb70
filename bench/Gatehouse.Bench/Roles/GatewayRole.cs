using Gatehouse.Bench.Processes;
using Gatehouse.Gateway.Hosting;
using Gatehouse.Gateway;
using Gatehouse.Gateway.Membership;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Bench.Roles;

/// <summary>
/// <c>gateway --state DIR [--join HOST:PORT=FINGERPRINT [--redirect DOMAIN=POLICY]]</c>: a real
/// Gatehouse gateway on 127.0.0.1 (free port). The runner wrote the authorized peers file in DIR
/// beforehand; with <c>--join</c> it joins that member's cluster (the runner authorizes it there in
/// the gateway role, and the grants and routes it needs then come from that member). With
/// <c>--redirect</c>, requests in that domain from clients that follow redirects get that policy
/// (as <c>gatehouse gateway --redirect</c>); every other domain keeps the default, forward.
/// With <c>--observe</c>, its metrics (diagnostics listener, scraped once a second) and audit trail
/// (a file in DIR) are on. Prints <c>READY port fingerprint</c>.
/// </summary>
internal static class GatewayRole
{
    public static async Task<int> RunAsync(string[] args)
    {
        var stop = RoleHost.StopToken();
        var cluster = Array.IndexOf(args, "--join") >= 0 ? new ClusterOptions { Join = [JoinTarget.Parse(RoleHost.Arg(args, "--join"))] } : new ClusterOptions();
        if (Array.IndexOf(args, "--redirect") >= 0)
        {
            string[] policy = RoleHost.Arg(args, "--redirect").Split('=', 2);
            cluster = cluster with { RedirectByDomain = new Dictionary<string, RedirectPolicy>(StringComparer.Ordinal) { [policy[0]] = RedirectPolicies.Parse(policy[1]) } };
        }

        var options = new GatewayOptions
        {
            Listen = ["127.0.0.1:0"],
            StateDirectory = RoleHost.Arg(args, "--state"),
            DrainTimeout = TimeSpan.FromSeconds(2),
            // The idle scenario holds 10,000 connections of one identity from one address on purpose;
            // every other limit keeps its default.
            Limits = new GatewayLimits { MaxConnectionsPerPeer = 0, MaxConnectionsPerAddress = 0 },
            Cluster = cluster,
        };
        bool observe = Array.IndexOf(args, "--observe") >= 0;
        if (observe)
        {
            options = options with
            {
                DiagnosticsListen = "127.0.0.1:0",
                Audit = new Gatehouse.Gateway.Audit.AuditOptions { Destination = Gatehouse.Gateway.Audit.AuditDestination.File, Path = Path.Combine(options.StateDirectory, "audit.jsonl") },
            };
        }

        await using var server = await GatewayServer.StartAsync(options, logging => logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        using var scrape = new CancellationTokenSource();
        var scraper = observe ? ScrapeAsync(server.DiagnosticsEndpoint!, scrape.Token) : Task.CompletedTask;
        RoleHost.Ready($"{server.Port} {server.Fingerprint}");
        await RoleHost.WaitAsync(stop);
        await scrape.CancelAsync();
        await scraper;
        return 0;
    }

    /// <summary>Reads /metrics once a second, as a Prometheus server would (more often than its default 15 s).</summary>
    private static async Task ScrapeAsync(System.Net.IPEndPoint diagnostics, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://{diagnostics}/") };
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                (await http.GetAsync("metrics", cancellationToken)).EnsureSuccessStatusCode();
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
