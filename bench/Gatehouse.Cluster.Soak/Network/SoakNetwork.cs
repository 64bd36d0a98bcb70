using System.Globalization;

namespace Gatehouse.Cluster.Soak.Network;

/// <summary>
/// One bridge in this (the root) namespace and N network namespaces, each joined to it by a veth
/// pair, in a private 10.X.Y.0/24: namespace i has 10.X.Y.i, the bridge 10.X.Y.254 (so this process
/// reaches every gateway). Names carry a random tag (<c>gh-soak-TAG-i</c>, <c>ghsTAGbr</c>,
/// <c>ghsTAGhI</c>), so a leftover of a crashed run never collides with a new one. Inside each
/// namespace: counting rules on OUTPUT (UDP; TCP from and to the gateway port) and INPUT (UDP), and
/// a chain for random UDP loss. Every rule lives in a namespace and goes with it; <see cref="Dispose"/>
/// deletes exactly what this instance created.
/// </summary>
internal sealed class SoakNetwork : IDisposable
{
    /// <summary>Prefix of every namespace name the soak creates.</summary>
    public const string NamespacePrefix = "gh-soak-";

    private const string LossChain = "SOAKLOSS";
    private readonly List<string> _namespaces = [];
    private readonly List<string> _hostVeths = [];
    private readonly int _port;
    private bool _bridgeCreated;
    private bool _forwardRule;

    private SoakNetwork(string tag, int x, int y, int port)
    {
        Tag = tag;
        _port = port;
        Prefix = $"10.{x}.{y}";
        Bridge = $"ghs{tag}br";
    }

    /// <summary>The random part of every name.</summary>
    public string Tag { get; }

    /// <summary>The first three octets of the subnet.</summary>
    public string Prefix { get; }

    public string Bridge { get; }

    /// <summary>This namespace's address on the bridge.</summary>
    public string BridgeAddress => $"{Prefix}.254";

    /// <summary>The namespace of member <paramref name="i"/> (1-based).</summary>
    public string Namespace(int i) => $"{NamespacePrefix}{Tag}-{i}";

    /// <summary>The address of member <paramref name="i"/> (1-based).</summary>
    public string Address(int i) => $"{Prefix}.{i}";

    /// <summary>Builds the bridge and <paramref name="count"/> namespaces.</summary>
    /// <exception cref="InvalidOperationException">Not root, a tool is missing, or a step failed (what was made is removed).</exception>
    public static SoakNetwork Create(int count, int port)
    {
        if (Environment.UserName != "root" && !string.Equals(Shell.TryRun("id", "-u").Stdout.Trim(), "0", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("the soak must run as root (it creates network namespaces, a bridge and iptables rules)");
        }

        Shell.Require("ip", "iproute2");
        Shell.Require("iptables", "iptables");
        var taken = Subnets.ParsePrefixes(Shell.Run("ip", "-4", "-o", "addr", "show") + "\n" + Shell.Run("ip", "-4", "route", "show", "table", "all"));
        var (x, y) = Subnets.PickFree(taken, Random.Shared);
        string tag = Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.Next()))[..5];
        var network = new SoakNetwork(tag, x, y, port);
        try
        {
            network.Build(count);
        }
        catch
        {
            network.Dispose();
            throw;
        }

        return network;
    }

    private void Build(int count)
    {
        Shell.Run("ip", "link", "add", "name", Bridge, "type", "bridge");
        _bridgeCreated = true;
        Shell.Run("ip", "addr", "add", $"{BridgeAddress}/24", "dev", Bridge);
        Shell.Run("ip", "link", "set", Bridge, "up");

        // Bridged frames pass this namespace's FORWARD chain when br_netfilter is loaded; a DROP
        // policy there (as Docker sets) would cut the members off from each other.
        if (!Shell.Run("iptables", "-S", "FORWARD").Contains("-P FORWARD ACCEPT", StringComparison.Ordinal))
        {
            Shell.Run("iptables", "-I", "FORWARD", "-i", Bridge, "-o", Bridge, "-j", "ACCEPT");
            _forwardRule = true;
        }

        string port = _port.ToString(CultureInfo.InvariantCulture);
        for (int i = 1; i <= count; i++)
        {
            string ns = Namespace(i);
            string host = $"ghs{Tag}h{i}";
            string inner = $"ghs{Tag}n{i}";
            Shell.Run("ip", "netns", "add", ns);
            _namespaces.Add(ns);
            Shell.Run("ip", "link", "add", host, "type", "veth", "peer", "name", inner, "netns", ns);
            _hostVeths.Add(host);
            Shell.Run("ip", "link", "set", host, "master", Bridge);
            Shell.Run("ip", "link", "set", host, "up");
            Shell.InNamespace(ns, "ip", "addr", "add", $"{Address(i)}/24", "dev", inner);
            Shell.InNamespace(ns, "ip", "link", "set", inner, "up");
            Shell.InNamespace(ns, "ip", "link", "set", "lo", "up");

            // Counting rules (no target): OUTPUT 1 = UDP, 2 = TCP from the port, 3 = TCP to the port, 4 = connections opened to the port; INPUT 1 = UDP.
            Shell.InNamespace(ns, "iptables", "-A", "OUTPUT", "-p", "udp");
            Shell.InNamespace(ns, "iptables", "-A", "OUTPUT", "-p", "tcp", "--sport", port);
            Shell.InNamespace(ns, "iptables", "-A", "OUTPUT", "-p", "tcp", "--dport", port);
            Shell.InNamespace(ns, "iptables", "-A", "OUTPUT", "-p", "tcp", "--dport", port, "--syn");
            Shell.InNamespace(ns, "iptables", "-A", "INPUT", "-p", "udp");
            Shell.InNamespace(ns, "iptables", "-N", LossChain);
            Shell.InNamespace(ns, "iptables", "-A", "INPUT", "-p", "udp", "-j", LossChain);
        }
    }

    /// <summary>Sets random UDP loss on input of every namespace (0: none).</summary>
    public void SetLoss(double probability)
    {
        foreach (string ns in _namespaces)
        {
            Shell.InNamespace(ns, "iptables", "-F", LossChain);
            if (probability > 0)
            {
                Shell.InNamespace(ns, "iptables", "-A", LossChain, "-m", "statistic", "--mode", "random",
                    "--probability", probability.ToString("0.######", CultureInfo.InvariantCulture), "-j", "DROP");
            }
        }
    }

    /// <summary>Counter snapshot of member <paramref name="i"/>'s namespace.</summary>
    public TrafficCounters ReadCounters(int i)
    {
        string ns = Namespace(i);
        var output = Rules(Shell.InNamespace(ns, "iptables", "-nvxL", "OUTPUT"));
        var input = Rules(Shell.InNamespace(ns, "iptables", "-nvxL", "INPUT"));
        var loss = Rules(Shell.InNamespace(ns, "iptables", "-nvxL", LossChain));
        return new TrafficCounters(
            UdpSent: output[0], TcpFromPort: output[1], TcpToPort: output[2], Connects: output[3],
            UdpReceived: input[0], UdpDropped: loss.Count > 0 ? loss[0] : default);
    }

    /// <summary>Packets and bytes of each rule of an <c>iptables -nvxL CHAIN</c> listing, in order.</summary>
    internal static List<PacketCount> Rules(string listing)
    {
        var rules = new List<PacketCount>();
        foreach (string line in listing.Split('\n'))
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length >= 2 && long.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out long packets)
                && long.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out long bytes))
            {
                rules.Add(new PacketCount(packets, bytes));
            }
        }

        return rules;
    }

    /// <summary>The names of this run's namespaces still present (after <see cref="Dispose"/>: none).</summary>
    public static IReadOnlyList<string> ExistingNamespaces(string tag) =>
        [.. Shell.Run("ip", "netns", "list").Split('\n')
            .Select(l => l.Split(' ', 2)[0].Trim())
            .Where(n => n.StartsWith($"{NamespacePrefix}{tag}-", StringComparison.Ordinal))];

    /// <summary>Deletes the veths, namespaces, bridge (and FORWARD rule) this instance made; collects failures.</summary>
    public void Dispose()
    {
        var problems = new List<string>();
        foreach (string veth in _hostVeths)
        {
            Try(problems, "ip", "link", "del", veth);
        }

        _hostVeths.Clear();
        foreach (string ns in _namespaces)
        {
            Try(problems, "ip", "netns", "del", ns);
        }

        _namespaces.Clear();
        if (_forwardRule)
        {
            _forwardRule = false;
            Try(problems, "iptables", "-D", "FORWARD", "-i", Bridge, "-o", Bridge, "-j", "ACCEPT");
        }

        if (_bridgeCreated)
        {
            _bridgeCreated = false;
            Try(problems, "ip", "link", "del", Bridge);
        }

        if (problems.Count > 0)
        {
            throw new InvalidOperationException("network cleanup incomplete: " + string.Join("; ", problems));
        }
    }

    private static void Try(List<string> problems, string file, params string[] args)
    {
        var (exit, _, stderr) = Shell.TryRun(file, args);
        if (exit != 0)
        {
            problems.Add($"{file} {string.Join(' ', args)}: {stderr.Trim()}");
        }
    }
}

/// <summary>Packets and bytes counted by one iptables rule.</summary>
internal readonly record struct PacketCount(long Packets, long Bytes)
{
    public static PacketCount operator -(PacketCount a, PacketCount b) => new(a.Packets - b.Packets, a.Bytes - b.Bytes);
}

/// <summary>One namespace's counters: what its gateway sent (UDP; TCP on the gateway port either way), UDP received and dropped by the loss rule.</summary>
internal readonly record struct TrafficCounters(PacketCount UdpSent, PacketCount TcpFromPort, PacketCount TcpToPort, PacketCount Connects, PacketCount UdpReceived, PacketCount UdpDropped)
{
    public static TrafficCounters operator -(TrafficCounters a, TrafficCounters b) =>
        new(a.UdpSent - b.UdpSent, a.TcpFromPort - b.TcpFromPort, a.TcpToPort - b.TcpToPort, a.Connects - b.Connects, a.UdpReceived - b.UdpReceived, a.UdpDropped - b.UdpDropped);
}
