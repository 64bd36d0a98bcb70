using System.Text.Json.Nodes;
using Gatehouse.Cluster.Soak.Report;

namespace Gatehouse.Cluster.Soak.Phases;

/// <summary>
/// Figure 6: every gateway SIGKILLed, then all started at once (same state dirs and addresses,
/// each joining through two others); seconds from the starts until every member's <c>members</c>
/// lists every member alive (process start-up included).
/// </summary>
internal static class RestartAllPhase
{
    public const double Target = 60;

    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(180);

    public static async Task RunAsync(PhaseContext x)
    {
        var c = x.Cluster;
        var results = new JsonArray();
        var times = new List<double>();
        int failed = 0;
        for (int r = 1; r <= x.Options.RestartAlls; r++)
        {
            await x.SettleAsync($"restart-all {r}");
            foreach (int i in c.Members)
            {
                c.Kill(i);
            }

            foreach (int i in c.Members)
            {
                c.Start(i, c.SeedsFor(i));
            }

            double? took = await c.UntilAllAliveAsync(Limit, x.Cancel);
            if (took is null)
            {
                failed++;
                x.Say($"restart-all {r}/{x.Options.RestartAlls}: NOT all alive everywhere within {Limit.TotalSeconds:0} s: {await c.DescribeViewsAsync(x.Cancel)}");
            }
            else
            {
                times.Add(took.Value);
                x.Say($"restart-all {r}/{x.Options.RestartAlls}: all {c.Count} alive on every member {took.Value:0.0} s after starting them");
            }

            results.Add(took is { } t ? Math.Round(t, 2) : null);
        }

        x.Report.Details["restartAll"] = new JsonObject { ["seconds"] = results, ["failed"] = failed };
        double? worst = failed > 0 ? null : Stats.Max(times);
        x.Report.Add(new Figure("restart_all_s", "all members killed and restarted at once: all alive everywhere (worst)", worst, "s", Target, "≤ 60 s",
            failed > 0 ? $"{failed} of {x.Options.RestartAlls} not converged within {Limit.TotalSeconds:0} s" : $"{times.Count} of {x.Options.RestartAlls} restarts"));
    }
}
