using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Gatehouse.Bench.Processes;

namespace Gatehouse.Bench.Tests;

/// <summary>
/// The ports handed to child processes (gateways, remctld, nats-server) come from below the kernel's
/// ephemeral range, where no outgoing connection can take them between the test choosing a port and
/// the child binding it (a CI run failed with "address already in use" on an ephemeral port).
/// </summary>
public class FreePortsTests
{
    [Fact]
    public void Ports_are_below_the_ephemeral_range_distinct_and_free_for_tcp_and_udp()
    {
        int ephemeral = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split('\t', ' ')[0], CultureInfo.InvariantCulture);
        var ports = Enumerable.Range(0, 200).Select(_ => FreePorts.Next()).ToList();

        Assert.Equal(ports.Count, ports.Distinct().Count());
        Assert.All(ports, p => Assert.InRange(p, 1024, ephemeral - 1));
        foreach (int port in ports.Take(20))
        {
            using var tcp = new TcpListener(IPAddress.Loopback, port);
            tcp.Start();
            using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, port));
        }
    }

    [Fact]
    public void A_port_taken_by_udp_only_is_not_handed_out()
    {
        // Take the next 50 candidate ports for UDP only: none of them may come back.
        var held = new List<UdpClient>();
        try
        {
            int probe = FreePorts.Next();
            for (int p = probe + 1; p < probe + 51; p++)
            {
                try
                {
                    held.Add(new UdpClient(new IPEndPoint(IPAddress.Loopback, p)));
                }
                catch (SocketException)
                {
                    // Taken by someone else already: also not to be handed out.
                }
            }

            var taken = held.Select(u => ((IPEndPoint)u.Client.LocalEndPoint!).Port).ToHashSet();
            for (int i = 0; i < 60; i++)
            {
                Assert.DoesNotContain(FreePorts.Next(), taken);
            }
        }
        finally
        {
            held.ForEach(u => u.Dispose());
        }
    }
}
