using System.Text.Json.Nodes;
using Gatehouse.Cluster.Soak.Cluster;
using Gatehouse.Cluster.Soak.Report;

namespace Gatehouse.Cluster.Soak.Phases;

/// <summary>
/// Figure 1: K kills (SIGKILL) of different members. For each, the time from the signal to each
/// other member's "is now Dead" line about the victim; then the victim is restarted on the same
/// state directory and address and the phase waits until every member sees it alive again.
/// </summary>
internal static class CrashPhase
{
    public const double TargetP99 = 8;

    private static readonly TimeSpan QuietBeforeKill = TimeSpan.FromSeconds(5);

    public static async Task RunAsync(PhaseContext x)
    {
        var c = x.Cluster;
        var samples = new List<double>();
        var rejoins = new List<double>();
        var kills = new JsonArray();
        int missed = 0;
        double phaseStart = c.Now;
        var victims = new List<string>();
        for (int k = 0; k < x.Options.Kills; k++)
        {
            int victim = ((k + 1) % c.Count) + 1; // 2, 3, ..., N, 1, 2, ...
            await x.SettleAsync($"kill {k + 1}");
            await Task.Delay(QuietBeforeKill, x.Cancel); // the previous victim's start-up (JIT) is over: a kill in a steady cluster
            string fp = c.Fingerprints[victim];
            victims.Add(fp);
            double killedAt = c.Kill(victim);
            var observers = c.Members.Where(m => m != victim).ToList();
            var seen = new Dictionary<int, double>();
            while (seen.Count < observers.Count && c.Now - killedAt < x.Options.ConvergeTimeout.TotalSeconds)
            {
                foreach (var e in c.Events.Between(killedAt, double.MaxValue, e => e.Kind == MemberEventKind.Dead && e.Member == fp))
                {
                    seen.TryAdd(e.Observer, e.At - killedAt);
                }

                await Task.Delay(100, x.Cancel);
            }

            int notSeen = observers.Count(o => !seen.ContainsKey(o));
            missed += notSeen;
            samples.AddRange(seen.Values);
            double restartAt = c.Now;
            c.Start(victim, c.SeedsFor(victim));
            await c.Process(victim)!.WaitReadyAsync(TimeSpan.FromSeconds(90), x.Cancel);
            double? rejoin = await c.UntilAllAliveAsync(x.Options.ConvergeTimeout, x.Cancel) is { } s ? c.Now - restartAt : null;
            if (rejoin is { } r)
            {
                rejoins.Add(r);
            }

            var times = seen.Values.Order().ToList();
            x.Say($"kill {k + 1}/{x.Options.Kills}: gw{victim} seen dead by {seen.Count}/{observers.Count} in {(times.Count > 0 ? $"{times[0]:0.00}..{times[^1]:0.00} s" : "-")}; alive everywhere {(rejoin is { } rr ? $"{rr:0.0} s" : "NOT within the timeout")} after its restart");
            kills.Add(new JsonObject
            {
                ["victim"] = victim,
                ["seenDeadBy"] = seen.Count,
                ["observers"] = observers.Count,
                ["seconds"] = new JsonArray([.. times.Select(t => (JsonNode)Math.Round(t, 3))]),
                ["aliveAgainAfterRestartSeconds"] = rejoin is { } v ? Math.Round(v, 3) : null,
            });
        }

        // Deaths of members that were not the victim of a kill, during this phase: context.
        var falseDeaths = c.Events.Between(phaseStart, c.Now, e => e.Kind == MemberEventKind.Dead && !victims.Contains(e.Member)).Count;
        x.Report.Details["crash"] = new JsonObject { ["kills"] = kills, ["missed"] = missed, ["otherDeaths"] = falseDeaths };
        string note = $"{samples.Count} observations of {x.Options.Kills} kills";
        x.Report.Add(new Figure("crash_p50_s", "crash (kill -9) seen dead by each other member, p50", Stats.Percentile(samples, 50), "s", null, null, note));
        x.Report.Add(new Figure("crash_p99_s", "crash seen dead by each other member, p99", Stats.Percentile(samples, 99), "s", TargetP99, "≤ 8 s"));
        x.Report.Add(new Figure("crash_max_s", "crash seen dead by each other member, max", Stats.Max(samples), "s", null, null));
        x.Report.Add(new Figure("crash_missed", "crash observations missing (not seen dead within the timeout)", missed, "count", 0, "0"));
        x.Report.Add(new Figure("crash_rejoin_max_s", "restarted member alive on every member again, max", Stats.Max(rejoins), "s", null, null,
            rejoins.Count < x.Options.Kills ? $"{x.Options.Kills - rejoins.Count} did not converge" : null));
    }
}
