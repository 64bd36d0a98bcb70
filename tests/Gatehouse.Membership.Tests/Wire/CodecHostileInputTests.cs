using System.Buffers.Binary;
using Gatehouse.Cluster.Wire;

namespace Gatehouse.Membership.Tests.Wire;

public class CodecHostileInputTests
{
    private static DatagramError Read(byte[] body) => MessageReader.Read(body, []);

    [Fact]
    public void Every_truncation_of_every_message_is_a_typed_error()
    {
        foreach (SwimMessage m in Samples.All())
        {
            byte[] whole = Samples.Encode(m);
            for (int cut = 0; cut < whole.Length; cut++)
            {
                DatagramError e = Read(whole[..cut]);
                Assert.True(e is DatagramError.Empty or DatagramError.Truncated, $"{m.Type} cut at {cut}: {e}");
            }
        }
    }

    [Fact]
    public void Every_truncation_of_a_compound_is_a_typed_error()
    {
        byte[] whole = Samples.EncodeBody(Samples.All()[..6]);
        for (int cut = 0; cut < whole.Length; cut++)
        {
            Assert.NotEqual(DatagramError.None, Read(whole[..cut]));
        }
    }

    [Fact]
    public void A_byte_after_a_message_is_refused()
    {
        foreach (SwimMessage m in Samples.All())
        {
            Assert.Equal(DatagramError.TrailingBytes, Read([.. Samples.Encode(m), 0]));
        }

        Assert.Equal(DatagramError.TrailingBytes, Read([.. Samples.EncodeBody([new AckMessage(1), new NackMessage(2)]), 0]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65)]
    [InlineData(255)]
    public void Member_id_lengths_outside_1_to_64_are_refused(byte length)
    {
        byte[] ping = [(byte)MessageType.Ping, 0, 0, 0, 1, length, .. new byte[Math.Max((int)length, 1)]];
        Assert.Equal(DatagramError.MemberIdLength, Read(ping));
    }

    [Fact]
    public void Member_ids_that_are_not_utf8_are_refused()
    {
        Assert.Equal(DatagramError.MemberIdEncoding, Read([(byte)MessageType.Ping, 0, 0, 0, 1, 2, 0xC3, 0x28]));
    }

    [Fact]
    public void A_declared_metadata_length_over_the_cap_is_refused_before_reading_it()
    {
        byte[] alive = Samples.Encode(new AliveMessage(1, "a", Samples.V4, new byte[1]));
        int lengthAt = alive.Length - 3;
        BinaryPrimitives.WriteUInt16BigEndian(alive.AsSpan(lengthAt), WireLimits.MaxMetadataBytes + 1);
        Assert.Equal(DatagramError.MetadataTooLarge, Read(alive));
        BinaryPrimitives.WriteUInt16BigEndian(alive.AsSpan(lengthAt), ushort.MaxValue);
        Assert.Equal(DatagramError.MetadataTooLarge, Read(alive));
        BinaryPrimitives.WriteUInt16BigEndian(alive.AsSpan(lengthAt), 2);
        Assert.Equal(DatagramError.Truncated, Read(alive));
    }

    [Fact]
    public void Address_families_other_than_4_and_6_are_refused()
    {
        byte[] ip = Samples.Encode(new IndirectPingMessage(1, IndirectPingFlags.None, "a", Samples.V4));
        ip[1 + 4 + 1 + 2] = 5;
        Assert.Equal(DatagramError.AddressFamily, Read(ip));
    }

    [Fact]
    public void Unknown_indirect_ping_flags_are_refused()
    {
        byte[] ip = Samples.Encode(new IndirectPingMessage(1, IndirectPingFlags.None, "a", Samples.V4));
        ip[5] = 0x80;
        Assert.Equal(DatagramError.UnknownFlags, Read(ip));
    }

    [Fact]
    public void Compound_rules_are_enforced()
    {
        Assert.Equal(DatagramError.CompoundEmpty, Read([(byte)MessageType.Compound, 0]));
        byte[] inner = Samples.EncodeBody([new AckMessage(1), new AckMessage(2)]);
        byte[] nested = [(byte)MessageType.Compound, 1, 0, (byte)inner.Length, .. inner];
        Assert.Equal(DatagramError.NestedCompound, Read(nested));
        Assert.Equal(DatagramError.Truncated, Read([(byte)MessageType.Compound, 1, 0, 0]));
        Assert.Equal(DatagramError.Truncated, Read([(byte)MessageType.Compound, 2, 0, 5, 3, 0, 0, 0, 1]));
        Assert.Equal(DatagramError.Truncated, Read([(byte)MessageType.Compound, 1, 0xFF, 0xFF, 3, 0, 0, 0, 1]));
    }

    [Fact]
    public void Unknown_types_empty_and_oversize_bodies_are_refused()
    {
        Assert.Equal(DatagramError.Empty, Read([]));
        Assert.Equal(DatagramError.UnknownType, Read([0]));
        Assert.Equal(DatagramError.UnknownType, Read([0x0A, 0, 0, 0, 0]));
        Assert.Equal(DatagramError.TooLarge, Read(new byte[WireLimits.MaxDatagramBytes + 1]));
    }

    [Fact]
    public void Random_bytes_and_mutations_never_throw()
    {
        var random = new Random(1234);
        byte[] seed = Samples.EncodeBody(Samples.All()[..8]);
        var into = new List<SwimMessage>();
        for (int i = 0; i < 200_000; i++)
        {
            byte[] b;
            if (i % 2 == 0)
            {
                b = new byte[random.Next(0, 64)];
                random.NextBytes(b);
                if (b.Length > 0)
                {
                    b[0] = (byte)random.Next(0, 11);
                }
            }
            else
            {
                b = (byte[])seed.Clone();
                for (int k = random.Next(1, 4); k > 0; k--)
                {
                    b[random.Next(b.Length)] = (byte)random.Next(256);
                }
            }

            into.Clear();
            DatagramError e = MessageReader.Read(b, into);
            Assert.True(Enum.IsDefined(e));
        }
    }
}
