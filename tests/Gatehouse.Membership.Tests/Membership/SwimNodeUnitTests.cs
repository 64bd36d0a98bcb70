using System.Net;
using Gatehouse.Cluster.Membership;
using Gatehouse.Cluster.Security;
using Gatehouse.Cluster.Wire;
using Gatehouse.Membership.Tests.Simulation;

namespace Gatehouse.Membership.Tests.Membership;

public class SwimNodeUnitTests
{
    [Fact]
    public void Defaults_are_memberlists_lan_defaults()
    {
        SwimOptions o = SwimOptions.Default;
        Assert.Equal(TimeSpan.FromSeconds(1), o.ProbeInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(500), o.ProbeTimeout);
        Assert.Equal(3, o.IndirectChecks);
        Assert.Equal(TimeSpan.FromSeconds(4), o.SuspicionMinimum(10));
        Assert.Equal(TimeSpan.FromSeconds(8), o.SuspicionMinimum(100));
        Assert.Equal(TimeSpan.FromSeconds(12), o.SuspicionMinimum(1000));
        Assert.Equal(TimeSpan.FromSeconds(4), o.SuspicionMinimum(2));
        Assert.Equal(6, o.SuspicionMaxTimeoutMult);
        Assert.Equal(8, o.AwarenessMaxMultiplier);
        Assert.Equal(TimeSpan.FromMilliseconds(200), o.GossipInterval);
        Assert.Equal(3, o.GossipNodes);
        Assert.Equal(8, o.RetransmitLimit(10));     // 4 x ceil(log10 11)
        Assert.Equal(12, o.RetransmitLimit(100));
        Assert.Equal(TimeSpan.FromSeconds(30), o.PushPullIntervalFor(32));
        Assert.Equal(TimeSpan.FromSeconds(60), o.PushPullIntervalFor(64));
        Assert.Equal(TimeSpan.FromSeconds(180), o.PushPullIntervalFor(1000));
        Assert.Equal(128, o.MaxConcurrentPushPulls);
        Assert.Equal(1200, o.MaxDatagramSize);
    }

    [Fact]
    public void Options_outside_safe_ranges_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SwimOptions { ProbeInterval = TimeSpan.FromMilliseconds(10) });
        Assert.Throws<ArgumentOutOfRangeException>(() => new SwimOptions { IndirectChecks = 17 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new SwimOptions { MaxDatagramSize = 1201 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new SwimOptions { MaxMetadataSize = 513 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new SwimOptions { MaxConcurrentPushPulls = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new SwimOptions { ProbeTimeout = TimeSpan.FromSeconds(2) }.Validate());
    }

    [Fact]
    public void A_single_member_with_no_others_sends_nothing()
    {
        var clock = new SimClock();
        var net = new SimNetwork(clock, new Random(1));
        var address = new IPEndPoint(IPAddress.Loopback, 7340);
        SimEndpoint endpoint = net.Attach(address, new SimHost());
        using var security = new DatagramSecurity("alone");
        using var node = new SwimNode("alone", address, SwimOptions.Default, security, endpoint, time: clock, random: new Random(1));
        node.Start();
        node.UpdateMetadata(new byte[] { 1 });
        clock.RunFor(TimeSpan.FromMinutes(5));
        Assert.Equal(0, endpoint.DatagramsSent);
        Assert.Single(node.Members);
    }

    [Fact]
    public void Datagrams_are_capped_at_1200_bytes_and_carry_several_updates()
    {
        var clock = new SimClock();
        var sent = new RecordingTransport();
        using var security = new DatagramSecurity("a");
        using var node = new SwimNode("a", new IPEndPoint(IPAddress.Loopback, 1), SwimOptions.Default with { MaxMetadataSize = 512 }, security, sent, time: clock, random: new Random(2));
        node.Start();
        var remote = Enumerable.Range(0, 40).Select(i => new MemberSnapshot($"member-{i}", new IPEndPoint(IPAddress.Loopback, 100 + i), 1, MemberState.Alive, new byte[300], default)).ToList();
        node.MergeRemoteState(remote);
        clock.RunFor(TimeSpan.FromSeconds(5));
        Assert.NotEmpty(sent.Sizes);
        Assert.All(sent.Sizes, s => Assert.InRange(s, 1, WireLimits.MaxDatagramBytes));
        Assert.Contains(sent.Sizes, s => s > 900);   // three 300-byte alives fit, and are packed
    }

    [Fact]
    public void Datagrams_from_members_without_keys_change_nothing()
    {
        var clock = new SimClock();
        var sent = new RecordingTransport();
        using var security = new DatagramSecurity("a");
        using var node = new SwimNode("a", new IPEndPoint(IPAddress.Loopback, 1), SwimOptions.Default, security, sent, time: clock, random: new Random(2));
        node.Start();
        using var eve = new DatagramSecurity("eve");
        var alive = new AliveMessage(5, "eve", new IPEndPoint(IPAddress.Loopback, 9), default);
        byte[] body = new byte[MessageWriter.SizeOf(alive)];
        MessageWriter.Write(alive, body);
        byte[] datagram = new byte[body.Length + eve.Overhead];
        eve.Seal(body, datagram);
        node.Receive(new IPEndPoint(IPAddress.Loopback, 9), datagram);
        Assert.Single(node.Members);
        Assert.Equal(1, security.Counters.UnknownSender);

        // Once its key is installed the same kind of datagram is accepted.
        security.InstallKey("eve", eve.CurrentSendKey.KeyId, eve.CurrentSendKey.Key.Span);
        eve.Seal(body, datagram);
        node.Receive(new IPEndPoint(IPAddress.Loopback, 9), datagram);
        Assert.Equal(2, node.Members.Count);

        // Revoked: its suspicion of us no longer even reaches the state machine.
        security.RemoveMember("eve");
        uint before = node.Incarnation;
        var suspect = new SuspectMessage(node.Incarnation, "a", "eve");
        body = new byte[MessageWriter.SizeOf(suspect)];
        MessageWriter.Write(suspect, body);
        datagram = new byte[body.Length + eve.Overhead];
        eve.Seal(body, datagram);
        node.Receive(new IPEndPoint(IPAddress.Loopback, 9), datagram);
        Assert.Equal(before, node.Incarnation);
        Assert.Equal(1, security.Counters.Revoked);
    }

    private sealed class RecordingTransport : IDatagramTransport
    {
        public List<int> Sizes { get; } = [];

        public void Send(IPEndPoint destination, ReadOnlySpan<byte> datagram) => Sizes.Add(datagram.Length);

        public void SetReceiver(DatagramHandler? handler)
        {
        }
    }
}
