using System.Text.Json.Nodes;
using Gatehouse.Cluster.Soak.Network;
using Gatehouse.Cluster.Soak.Report;

namespace Gatehouse.Cluster.Soak.Phases;

/// <summary>
/// Figure 4: what each member sends while nothing happens and nothing is lost, from the iptables
/// OUTPUT counters in its namespace (whole IP packets): UDP (probes, acks, gossip) and TCP on the
/// gateway port either way (push-pull, key exchange and keepalives over TLS). The soak's own
/// connections are closed first and nobody polls during the window.
/// </summary>
internal static class IdlePhase
{
    public const double TargetBytesPerSecond = 1024;

    public static async Task RunAsync(PhaseContext x)
    {
        var c = x.Cluster;
        await x.SettleAsync("idle");
        await c.CloseViewConnectionsAsync(); // the soak's own connections would add keepalives
        await Task.Delay(TimeSpan.FromSeconds(5), x.Cancel);
        x.Say($"idle: counting traffic for {x.Options.IdleWindow.TotalSeconds:0} s");
        var before = c.Members.Select(i => (At: c.Now, Counters: c.Network.ReadCounters(i))).ToArray();
        await Task.Delay(x.Options.IdleWindow, x.Cancel);
        var after = c.Members.Select(i => (At: c.Now, Counters: c.Network.ReadCounters(i))).ToArray();

        var udp = new List<double>();
        var udpPackets = new List<double>();
        var tcp = new List<double>();
        var total = new List<double>();
        long connects = 0;
        var perMember = new JsonArray();
        for (int k = 0; k < c.Count; k++)
        {
            double seconds = after[k].At - before[k].At;
            TrafficCounters d = after[k].Counters - before[k].Counters;
            double u = d.UdpSent.Bytes / seconds;
            double t = (d.TcpFromPort.Bytes + d.TcpToPort.Bytes) / seconds;
            udp.Add(u);
            udpPackets.Add(d.UdpSent.Packets / seconds);
            tcp.Add(t);
            total.Add(u + t);
            connects += d.Connects.Packets;
            perMember.Add(new JsonObject
            {
                ["member"] = k + 1,
                ["seconds"] = Math.Round(seconds, 3),
                ["udpBytes"] = d.UdpSent.Bytes,
                ["udpPackets"] = d.UdpSent.Packets,
                ["tcpBytes"] = d.TcpFromPort.Bytes + d.TcpToPort.Bytes,
                ["tcpPackets"] = d.TcpFromPort.Packets + d.TcpToPort.Packets,
                ["tcpConnectionsOpened"] = d.Connects.Packets,
            });
        }

        x.Report.Details["idle"] = new JsonObject { ["windowSeconds"] = x.Options.IdleWindow.TotalSeconds, ["perMember"] = perMember };
        string mean(List<double> l, string unit) => $"mean {l.Average():0} {unit}";
        x.Report.Add(new Figure("idle_udp_bps", "idle UDP sent per member (max)", udp.Max(), "B/s", null, null, $"{mean(udp, "B/s")}, {udpPackets.Average():0.0} datagrams/s"));
        x.Report.Add(new Figure("idle_tcp_bps", "idle TCP on port 7340 per member (max)", tcp.Max(), "B/s", null, null, $"{mean(tcp, "B/s")}; {connects} connections opened in all"));
        x.Report.Add(new Figure("idle_total_bps", "idle traffic per member, UDP + TCP (max)", total.Max(), "B/s", TargetBytesPerSecond, "≤ 1 KB/s", mean(total, "B/s")));
    }
}
