using System.Net;
using Gatehouse.Cluster.Membership;

namespace Gatehouse.Membership.Tests.Simulation;

/// <summary>
/// A virtual network on a <see cref="SimClock"/>: seeded loss and delay, partitions (members in
/// different groups reach each other by neither UDP nor TLS), UDP blocked between chosen pairs
/// (TLS still works), hosts down. Datagrams are delivered as events owned by the receiving host.
/// </summary>
public sealed class SimNetwork
{
    private readonly SimClock _clock;
    private readonly Random _random;
    private readonly Dictionary<IPEndPoint, SimEndpoint> _endpoints = [];
    private readonly HashSet<(IPEndPoint, IPEndPoint)> _udpBlocked = [];

    public SimNetwork(SimClock clock, Random random)
    {
        _clock = clock;
        _random = random;
    }

    /// <summary>Probability that a datagram is lost (0 to 1).</summary>
    public double Loss { get; set; }

    /// <summary>Shortest one-way delay.</summary>
    public TimeSpan MinDelay { get; set; } = TimeSpan.FromMilliseconds(0.2);

    /// <summary>Longest one-way delay.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMilliseconds(2);

    /// <summary>Datagrams delivered.</summary>
    public long Delivered { get; private set; }

    /// <summary>Datagrams lost (random loss, partition, blocked, host down).</summary>
    public long Lost { get; private set; }

    public SimEndpoint Attach(IPEndPoint address, SimHost host)
    {
        var e = new SimEndpoint(this, address, host);
        _endpoints[address] = e;
        return e;
    }

    /// <summary>Puts each endpoint in a partition group; endpoints in different groups cannot talk. Null heals.</summary>
    public void Partition(Func<IPEndPoint, int>? groupOf)
    {
        foreach (SimEndpoint e in _endpoints.Values)
        {
            e.Group = groupOf?.Invoke(e.Address) ?? 0;
        }
    }

    /// <summary>Blocks UDP (not TLS) between two addresses, both ways.</summary>
    public void BlockUdp(IPEndPoint a, IPEndPoint b)
    {
        _udpBlocked.Add((a, b));
        _udpBlocked.Add((b, a));
    }

    public TimeSpan NextDelay() => MinDelay + ((MaxDelay - MinDelay) * _random.NextDouble());

    /// <summary>Whether a TLS connection from <paramref name="from"/> to <paramref name="to"/> would work now.</summary>
    /// <summary>True when <paramref name="to"/> exists and is on <paramref name="from"/>'s side of any partition (up or not).</summary>
    public bool SameSide(SimEndpoint from, IPEndPoint to) => _endpoints.TryGetValue(to, out SimEndpoint? remote) && remote.Group == from.Group;

    public bool CanConnect(SimEndpoint from, IPEndPoint to, out SimEndpoint? remote) =>
        _endpoints.TryGetValue(to, out remote) && remote.Host.Up && from.Host.Up && remote.Group == from.Group;

    internal void Send(SimEndpoint from, IPEndPoint to, ReadOnlySpan<byte> datagram)
    {
        from.BytesSent += datagram.Length;
        from.DatagramsSent++;
        if (!_endpoints.TryGetValue(to, out SimEndpoint? dest) || dest.Group != from.Group || _udpBlocked.Contains((from.Address, to))
            || (Loss > 0 && _random.NextDouble() < Loss))
        {
            Lost++;
            return;
        }

        byte[] copy = datagram.ToArray();
        int generation = dest.Host.Generation;
        _clock.Schedule(NextDelay(), dest.Host, () =>
        {
            if (!dest.Host.Up || dest.Host.Generation != generation || dest.Handler is not { } handler)
            {
                Lost++;
                return;
            }

            Delivered++;
            handler(from.Address, copy);
        });
    }
}

/// <summary>One member's datagram socket on the virtual network.</summary>
public sealed class SimEndpoint : IDatagramTransport
{
    private readonly SimNetwork _network;

    internal SimEndpoint(SimNetwork network, IPEndPoint address, SimHost host)
    {
        _network = network;
        Address = address;
        Host = host;
    }

    public IPEndPoint Address { get; }

    public SimHost Host { get; }

    public int Group { get; set; }

    public DatagramHandler? Handler { get; private set; }

    public long BytesSent { get; set; }

    public long DatagramsSent { get; set; }

    public void Send(IPEndPoint destination, ReadOnlySpan<byte> datagram)
    {
        if (Host.Up)
        {
            _network.Send(this, destination, datagram);
        }
    }

    public void SetReceiver(DatagramHandler? handler) => Handler = handler;
}
