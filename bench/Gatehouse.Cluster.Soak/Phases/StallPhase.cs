using System.Text.Json.Nodes;
using Gatehouse.Cluster.Soak.Cluster;
using Gatehouse.Cluster.Soak.Report;

namespace Gatehouse.Cluster.Soak.Phases;

/// <summary>
/// Figure 3: one member is stopped (SIGSTOP) for 2 s of every 10 s (SIGCONT after 2 s) for the
/// configured time. Deaths of any other member, declared by anyone, are false deaths; whether the
/// stalled member itself was declared dead is reported apart.
/// </summary>
internal static class StallPhase
{
    public static async Task RunAsync(PhaseContext x)
    {
        var c = x.Cluster;
        int victim = c.Count;
        string fp = c.Fingerprints[victim];
        await x.SettleAsync("stall");
        double start = c.Now;
        int stalls = 0;
        x.Say($"stall: gw{victim} stopped {x.Options.StallFor.TotalSeconds:0.#} s of every {x.Options.StallEvery.TotalSeconds:0} s for {x.Options.StallDuration.TotalMinutes:0.##} min");
        var process = c.Process(victim)!;
        // On a fixed schedule: stall k from start + k x every + (every - for) to start + (k + 1) x every.
        int count = Math.Max(1, (int)Math.Floor(x.Options.StallDuration / x.Options.StallEvery));
        double every = x.Options.StallEvery.TotalSeconds;
        double stallFor = x.Options.StallFor.TotalSeconds;
        try
        {
            for (int k = 0; k < count; k++)
            {
                await UntilAsync(c, start + (k * every) + (every - stallFor), x.Cancel);
                process.Signal(Signals.Stop);
                stalls++;
                try
                {
                    await UntilAsync(c, start + ((k + 1) * every), x.Cancel);
                }
                finally
                {
                    process.Signal(Signals.Continue);
                }
            }
        }
        finally
        {
            process.Signal(Signals.Continue);
        }

        double ended = c.Now;
        double? settled = await c.UntilAllAliveAsync(x.Options.ConvergeTimeout, x.Cancel);
        var events = c.Events.Between(start, c.Now);
        var healthyDeaths = events.Where(e => e.Kind == MemberEventKind.Dead && e.Member != fp).ToList();
        int victimDeaths = events.Count(e => e.Kind == MemberEventKind.Dead && e.Member == fp);
        int victimSuspicions = events.Count(e => e.Kind == MemberEventKind.Suspect && e.Member == fp);
        int victimRefutations = events.Count(e => e.Kind == MemberEventKind.Refuted && e.Observer == victim);
        x.Say($"stall: {stalls} stalls; {healthyDeaths.Count} deaths of healthy members, stalled member declared dead {victimDeaths} times, suspected {victimSuspicions} times, refuted {victimRefutations} times; converged {(settled is { } s ? $"{s:0.0} s" : "NOT")} after");
        x.Report.Details["stall"] = new JsonObject
        {
            ["member"] = victim,
            ["stalls"] = stalls,
            ["seconds"] = Math.Round(ended - start, 1),
            ["healthyDeaths"] = new JsonArray([.. healthyDeaths.Select(e => (JsonNode)e.ToString())]),
            ["stalledDeclaredDead"] = victimDeaths,
            ["stalledSuspected"] = victimSuspicions,
            ["stalledRefuted"] = victimRefutations,
            ["convergedAfterSeconds"] = settled is { } v ? Math.Round(v, 2) : null,
        };
        x.Report.Add(new Figure("stall_false_deaths", "deaths of healthy members while one stalls 2 s of 10 s", healthyDeaths.Count, "count", 0, "0", $"{stalls} stalls in {(ended - start) / 60:0.#} min"));
        x.Report.Add(new Figure("stall_victim_deaths", "the stalled member declared dead (lines, all observers)", victimDeaths, "count", null, null, $"suspected {victimSuspicions}, refuted {victimRefutations}"));
    }

    private static async Task UntilAsync(Cluster.SoakCluster c, double at, CancellationToken cancel)
    {
        double wait = at - c.Now;
        if (wait > 0)
        {
            await Task.Delay(TimeSpan.FromSeconds(wait), cancel);
        }
    }
}
