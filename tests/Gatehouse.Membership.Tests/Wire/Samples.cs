using System.Net;
using Gatehouse.Cluster.Wire;

namespace Gatehouse.Membership.Tests.Wire;

internal static class Samples
{
    public static readonly IPEndPoint V4 = new(IPAddress.Parse("10.1.2.3"), 7340);
    public static readonly IPEndPoint V6 = new(IPAddress.Parse("fd00::1:2"), 65535);

    /// <summary>One of every message type, with edge values.</summary>
    public static SwimMessage[] All() =>
    [
        new PingMessage(0, "a"),
        new PingMessage(uint.MaxValue, new string('x', 64)),
        new IndirectPingMessage(7, IndirectPingFlags.WantNack, "gw-2", V4),
        new IndirectPingMessage(8, IndirectPingFlags.None, "gw-3", V6),
        new AckMessage(42),
        new NackMessage(43),
        new AliveMessage(5, "gw-1", V4, new byte[] { 1, 2, 3 }),
        new AliveMessage(uint.MaxValue, "gw-é", V6, new byte[WireLimits.MaxMetadataBytes]),
        new AliveMessage(1, "gw-empty-meta", V4, ReadOnlyMemory<byte>.Empty),
        new SuspectMessage(9, "gw-2", "gw-1"),
        new DeadMessage(10, "gw-2", "gw-3"),
        new LeaveMessage(11, "gw-4"),
    ];

    public static byte[] Encode(SwimMessage m)
    {
        var b = new byte[MessageWriter.SizeOf(m)];
        Assert.Equal(b.Length, MessageWriter.Write(m, b));
        return b;
    }

    public static byte[] EncodeBody(IReadOnlyList<SwimMessage> messages)
    {
        int sum = messages.Sum(MessageWriter.SizeOf);
        var b = new byte[MessageWriter.BodySize(messages.Count, sum)];
        Assert.Equal(b.Length, MessageWriter.WriteBody(messages, b));
        return b;
    }

    /// <summary>Structural equality (records compare metadata by reference).</summary>
    public static void AssertSame(SwimMessage expected, SwimMessage actual)
    {
        Assert.Equal(expected.Type, actual.Type);
        if (expected is AliveMessage ea && actual is AliveMessage aa)
        {
            Assert.Equal(ea.Incarnation, aa.Incarnation);
            Assert.Equal(ea.MemberId, aa.MemberId);
            Assert.Equal(ea.Address, aa.Address);
            Assert.Equal(ea.Metadata.ToArray(), aa.Metadata.ToArray());
        }
        else
        {
            Assert.Equal(expected, actual);
        }
    }
}
