using System.Text.Json.Nodes;
using Gatehouse.Cluster.Soak.Cluster;
using Gatehouse.Cluster.Soak.Network;
using Gatehouse.Cluster.Soak.Report;

namespace Gatehouse.Cluster.Soak.Phases;

/// <summary>
/// Figure 2: random UDP loss (iptables statistic match on INPUT in every namespace, so every
/// datagram between two members is lost with probability P, both ways) for the configured time.
/// Nobody is killed, so every "is now Dead" line is a false death. Counted from the loss's start
/// until the cluster has converged again after it was lifted; suspicions and refutations are
/// reported too, and the loss actually applied (dropped / received datagrams).
/// </summary>
internal static class LossPhase
{
    private static readonly TimeSpan Progress = TimeSpan.FromSeconds(60);

    public static async Task RunAsync(PhaseContext x)
    {
        var c = x.Cluster;
        await x.SettleAsync("loss");
        var before = c.Members.Select(c.Network.ReadCounters).ToArray();
        double start = c.Now;
        x.Say($"loss: {x.Options.Loss:P0} random UDP loss on every member for {x.Options.LossDuration.TotalMinutes:0.##} min");
        c.Network.SetLoss(x.Options.Loss);
        TrafficCounters[] after;
        try
        {
            double end = start + x.Options.LossDuration.TotalSeconds;
            double nextReport = start + Progress.TotalSeconds;
            while (c.Now < end)
            {
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(1, end - c.Now)), x.Cancel);
                x.Crashes.AddRange(await c.ReviveCrashedAsync(x.Cancel));
                if (c.Now >= nextReport)
                {
                    nextReport += Progress.TotalSeconds;
                    var sofar = c.Events.Between(start, double.MaxValue);
                    x.Say($"loss: {c.Now - start:0} s: {sofar.Count(e => e.Kind == MemberEventKind.Dead)} deaths, {sofar.Count(e => e.Kind == MemberEventKind.Suspect)} suspicions, {sofar.Count(e => e.Kind == MemberEventKind.Refuted)} refutations");
                }
            }

            after = [.. c.Members.Select(c.Network.ReadCounters)]; // before the rule goes (the flush resets its counter)
        }
        finally
        {
            c.Network.SetLoss(0);
        }

        double lifted = c.Now;
        double? settled = await c.UntilAllAliveAsync(x.Options.ConvergeTimeout, x.Cancel);
        var events = c.Events.Between(start, c.Now);
        int deaths = events.Count(e => e.Kind == MemberEventKind.Dead);
        int suspicions = events.Count(e => e.Kind == MemberEventKind.Suspect);
        int refutations = events.Count(e => e.Kind == MemberEventKind.Refuted);
        long received = 0, dropped = 0;
        for (int k = 0; k < c.Count; k++)
        {
            TrafficCounters d = after[k] - before[k];
            received += d.UdpReceived.Packets;
            dropped += d.UdpDropped.Packets;
        }

        double measured = received == 0 ? 0 : 100.0 * dropped / received;
        x.Say($"loss: done; {deaths} false deaths, {suspicions} suspicions, {refutations} refutations; {dropped} of {received} datagrams dropped ({measured:0.0} %); converged {(settled is { } s ? $"{s:0.0} s" : "NOT")} after the loss was lifted");
        x.Report.Details["loss"] = new JsonObject
        {
            ["probability"] = x.Options.Loss,
            ["seconds"] = Math.Round(lifted - start, 1),
            ["deaths"] = new JsonArray([.. events.Where(e => e.Kind == MemberEventKind.Dead).Select(e => (JsonNode)e.ToString())]),
            ["suspicions"] = suspicions,
            ["refutations"] = refutations,
            ["datagramsReceived"] = received,
            ["datagramsDropped"] = dropped,
            ["convergedAfterSeconds"] = settled is { } v ? Math.Round(v, 2) : null,
        };
        string minutes = $"{(lifted - start) / 60:0.#} min at {x.Options.Loss:P0} loss";
        x.Report.Add(new Figure("loss_false_deaths", "false deaths under random UDP loss", deaths, "count", 0, "0", minutes));
        x.Report.Add(new Figure("loss_suspicions", "suspicions under loss (all refuted or cleared unless counted above)", suspicions, "count", null, null));
        x.Report.Add(new Figure("loss_refutations", "refutations under loss", refutations, "count", null, null));
        x.Report.Add(new Figure("loss_measured_pct", "UDP datagrams dropped by the loss rule", measured, "%", null, null, $"{dropped} of {received}"));
    }
}
