using Gatehouse.Cluster.Wire;

namespace Gatehouse.Membership.Tests.Wire;

public class CodecRoundTripTests
{
    public static TheoryData<int> Indexes() => new(Enumerable.Range(0, Samples.All().Length));

    [Theory]
    [MemberData(nameof(Indexes))]
    public void Every_message_type_survives_a_round_trip(int index)
    {
        SwimMessage m = Samples.All()[index];
        var decoded = new List<SwimMessage>();
        Assert.Equal(DatagramError.None, MessageReader.Read(Samples.Encode(m), decoded));
        Samples.AssertSame(m, Assert.Single(decoded));
    }

    [Fact]
    public void A_compound_carries_every_message_type_in_order()
    {
        SwimMessage[] all = Samples.All()[..11];
        byte[] body = Samples.EncodeBody(all);
        Assert.Equal(MessageType.Compound, (MessageType)body[0]);
        var decoded = new List<SwimMessage>();
        Assert.Equal(DatagramError.None, MessageReader.Read(body, decoded));
        Assert.Equal(all.Length, decoded.Count);
        for (int i = 0; i < all.Length; i++)
        {
            Samples.AssertSame(all[i], decoded[i]);
        }
    }

    [Fact]
    public void A_body_of_one_message_is_not_wrapped_in_a_compound()
    {
        byte[] body = Samples.EncodeBody([new AckMessage(1)]);
        Assert.Equal(5, body.Length);
        Assert.Equal((byte)MessageType.Ack, body[0]);
    }

    [Fact]
    public void The_writer_refuses_ids_and_metadata_the_reader_would_refuse()
    {
        Assert.Throws<ArgumentException>(() => MessageWriter.SizeOf(new PingMessage(1, new string('x', 65))));
        Assert.Throws<ArgumentException>(() => MessageWriter.SizeOf(new PingMessage(1, "")));
        Assert.Throws<ArgumentException>(() => MessageWriter.SizeOf(new AliveMessage(1, "a", Samples.V4, new byte[WireLimits.MaxMetadataBytes + 1])));
        Assert.Throws<ArgumentException>(() => MessageWriter.Write(new AckMessage(1), new byte[4]));
    }

    [Fact]
    public void Sizes_are_what_docs_protocol_md_states()
    {
        Assert.Equal(1 + 4 + 1 + 4, MessageWriter.SizeOf(new PingMessage(1, "gw-1")));
        Assert.Equal(1 + 4 + 1 + 5 + 7 + 2 + 3, MessageWriter.SizeOf(new AliveMessage(1, "gw-12", Samples.V4, new byte[3])));
        Assert.Equal(1 + 4 + 1 + 4 + 19 + 2, MessageWriter.SizeOf(new AliveMessage(1, "gw-1", Samples.V6, default)));
    }
}
