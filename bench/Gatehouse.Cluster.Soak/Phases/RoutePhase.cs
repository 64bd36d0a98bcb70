using System.Text.Json.Nodes;
using Gatehouse.Cluster.Soak.Report;
using Gatehouse.Service;

namespace Gatehouse.Cluster.Soak.Phases;

/// <summary>
/// Figure 5: a service (the service library, in this process) attaches to one gateway with a new
/// domain, which changes that gateway's route table; every other member is asked for
/// <c>members --json</c> every 50 ms (one persistent connection each) until its entry for that
/// gateway shows the new route count and version. Time from the service's attach (its
/// registration acknowledged) to each member's first answer showing the change. Each change is
/// one more service instance with its own domain; all are stopped at the end.
/// </summary>
internal static class RoutePhase
{
    public const double Target = 1;

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    public static async Task RunAsync(PhaseContext x)
    {
        var c = x.Cluster;
        int gateway = 2;
        string fp = c.Fingerprints[gateway];
        var observers = c.Members.Where(m => m != gateway).ToList();
        var samples = new List<double>();
        var changes = new JsonArray();
        int missed = 0;
        using var stopServices = new CancellationTokenSource();
        var services = new List<Task>();
        try
        {
            for (int n = 1; n <= x.Options.RouteChanges; n++)
            {
                await x.SettleAsync($"route change {n}");
                var baseline = new Dictionary<int, (int? Routes, long? Version)>();
                foreach (int o in observers)
                {
                    var entry = (await c.ViewAsync(o, x.Cancel))?.FirstOrDefault(v => v.Fingerprint == fp);
                    baseline[o] = (entry?.Routes, entry?.RoutesVersion);
                }

                var attached = new TaskCompletionSource<double>(TaskCreationOptions.RunContinuationsAsynchronously);
                var service = new GatehouseService(new ServiceOptions
                {
                    Identity = c.Service,
                    Gateways = [new GatewayTarget(c.Endpoint(gateway), Transport.Security.Fingerprint.Parse(fp))],
                    Discovery = Gatehouse.Service.DiscoveryOptions.Off, // the change measured is on this one gateway
                });
                service.Map($"soak-route-{n}", "ping", async ctx =>
                {
                    await ctx.WriteAsync("pong\n");
                    return 0;
                });
                service.Attached += _ => attached.TrySetResult(c.Now);
                services.Add(service.RunAsync(stopServices.Token));
                double t0 = await attached.Task.WaitAsync(Limit, x.Cancel);

                var seen = await Task.WhenAll(observers.Select(async o =>
                {
                    while (c.Now - t0 < Limit.TotalSeconds)
                    {
                        var entry = (await c.ViewAsync(o, x.Cancel))?.FirstOrDefault(v => v.Fingerprint == fp);
                        double at = c.Now;
                        if (entry is not null && entry.Routes != baseline[o].Routes && entry.RoutesVersion != baseline[o].Version)
                        {
                            return (double?)(at - t0);
                        }

                        await Task.Delay(PollInterval, x.Cancel);
                    }

                    return null;
                }));
                var got = seen.Where(s => s is not null).Select(s => s!.Value).Order().ToList();
                missed += seen.Length - got.Count;
                samples.AddRange(got);
                x.Say($"route change {n}/{x.Options.RouteChanges} on gw{gateway}: seen by {got.Count}/{observers.Count} in {(got.Count > 0 ? $"{got[0]:0.00}..{got[^1]:0.00} s" : "-")}");
                changes.Add(new JsonObject { ["seenBy"] = got.Count, ["observers"] = observers.Count, ["seconds"] = new JsonArray([.. got.Select(s => (JsonNode)Math.Round(s, 3))]) });
            }
        }
        finally
        {
            await stopServices.CancelAsync();
            try
            {
                await Task.WhenAll(services).WaitAsync(TimeSpan.FromSeconds(20));
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
            {
                x.Say("route phase: a test service did not stop within 20 s");
            }
        }

        x.Report.Details["route"] = new JsonObject { ["gateway"] = gateway, ["changes"] = changes, ["missed"] = missed };
        string note = $"{samples.Count} observations of {x.Options.RouteChanges} changes";
        x.Report.Add(new Figure("route_p50_s", "route change seen by every other member, p50", Stats.Percentile(samples, 50), "s", null, null, note));
        x.Report.Add(new Figure("route_p99_s", "route change seen by every other member, p99", Stats.Percentile(samples, 99), "s", Target, "≤ 1 s"));
        x.Report.Add(new Figure("route_missed", "route change observations missing (not seen within 30 s)", missed, "count", 0, "0"));
    }
}
