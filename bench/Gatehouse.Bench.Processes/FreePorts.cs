using System.Net;
using System.Net.Sockets;

namespace Gatehouse.Bench.Processes;

/// <summary>
/// Ports on 127.0.0.1 for processes a test or benchmark starts and that must be told their port
/// (a gateway, remctld, nats-server, a KDC).
/// </summary>
/// <remarks>
/// Asking the kernel for port 0 and releasing it hands out a port from the ephemeral range, which the
/// next outgoing connection of any process may take before the child binds it (seen in CI:
/// "cannot listen on 127.0.0.1:41851: address already in use" with many connections open in
/// parallel tests). These ports come from below the ephemeral range instead, where the kernel never
/// puts an outgoing connection's local port; each is free for both TCP and UDP when handed out (a
/// gateway binds both on its port) and never handed out twice by one process. Concurrent processes
/// start at random places in the range, so two of them rarely meet; a meeting is a bind failure,
/// never a silent sharing.
/// </remarks>
public static class FreePorts
{
    private const int First = 12000;
    private static readonly object Gate = new();
    private static readonly HashSet<int> Given = [];
    private static int _next = First + Random.Shared.Next(EphemeralStart() - First);

    /// <summary>A port on 127.0.0.1 free for TCP and UDP now, not handed out before by this process.</summary>
    public static int Next()
    {
        int end = EphemeralStart();
        lock (Gate)
        {
            for (int tries = 0; tries < end - First; tries++)
            {
                int port = _next;
                _next = _next + 1 >= end ? First : _next + 1;
                if (Given.Contains(port) || !Bindable(port))
                {
                    continue;
                }

                Given.Add(port);
                return port;
            }
        }

        throw new InvalidOperationException($"no free port on 127.0.0.1 between {First} and {end}");
    }

    private static bool Bindable(int port)
    {
        try
        {
            using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            tcp.Bind(new IPEndPoint(IPAddress.Loopback, port));
            using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The first port of the kernel's ephemeral range (32768 when it cannot be read).</summary>
    private static int EphemeralStart()
    {
        try
        {
            string[] range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            int start = int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
            return start > First + 1000 ? start : 32768;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 32768;
        }
    }
}
