using System.Buffers;
using System.Buffers.Binary;
using Gatehouse.Protocol;

namespace Gatehouse.Protocol.Tests;

public class HostileInputTests
{
    private static byte[] Header(int length, byte type, byte flags, uint stream)
    {
        var b = new byte[9];
        FrameWriter.WriteHeader(b, length, (FrameType)type, (FrameFlags)flags, stream);
        return b;
    }

    private static ProtocolException Parse(byte[] bytes, int max = 65_536)
    {
        var buffer = new ReadOnlySequence<byte>(bytes);
        return Assert.Throws<ProtocolException>(() => FrameReader.TryReadFrame(ref buffer, max, out _, out _));
    }

    [Fact]
    public void Oversize_length_is_refused_from_the_header_alone()
    {
        // Only the 9 header bytes: the reader must refuse before waiting for 16 MiB.
        var ex = Parse(Header(16_000_000, (byte)FrameType.Data, 0, 1));
        Assert.Equal(ErrorCode.FrameSizeError, ex.Code);
        Assert.True(ex.IsConnectionError);
    }

    [Fact]
    public void Unknown_frame_type_is_a_protocol_error()
    {
        var ex = Parse(Header(0, 0x42, 0, 0));
        Assert.Equal(ErrorCode.ProtocolError, ex.Code);
        Assert.Contains("0x42", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(FrameType.Hello, 3u)]
    [InlineData(FrameType.Ping, 1u)]
    [InlineData(FrameType.GoAway, 2u)]
    [InlineData(FrameType.Request, 0u)]
    [InlineData(FrameType.Data, 0u)]
    [InlineData(FrameType.Status, 0u)]
    [InlineData(FrameType.Cancel, 0u)]
    [InlineData(FrameType.Identity, 1u)]
    public void Frames_on_the_wrong_stream_are_refused(FrameType type, uint stream)
    {
        var ex = Parse([.. Header(16, (byte)type, 0, stream), .. new byte[16]]);
        Assert.Equal(ErrorCode.ProtocolError, ex.Code);
    }

    [Theory]
    [InlineData(FrameType.WindowUpdate, 5)]
    [InlineData(FrameType.Cancel, 3)]
    [InlineData(FrameType.Ping, 9)]
    [InlineData(FrameType.Data, 0)]
    [InlineData(FrameType.Status, 6)]
    [InlineData(FrameType.GoAway, 9)]
    [InlineData(FrameType.Hello, 2)]
    [InlineData(FrameType.Identity, 0)]
    [InlineData(FrameType.Identity, FrameReader.MaxIdentityNotice + 1)]
    public void Wrong_fixed_sizes_are_frame_size_errors(FrameType type, int length)
    {
        uint stream = type is FrameType.Ping or FrameType.GoAway or FrameType.Hello or FrameType.Identity ? 0u : 1u;
        var ex = Parse([.. Header(length, (byte)type, 0, stream), .. new byte[length]]);
        Assert.Equal(ErrorCode.FrameSizeError, ex.Code);
    }

    [Fact]
    public void Hello_with_bad_version_or_out_of_range_setting_is_refused()
    {
        var bad = new byte[] { 2, 0, 0, 0 };
        Assert.Equal(ErrorCode.ProtocolError, Assert.Throws<ProtocolException>(() => ControlPayloads.ReadHello(new(bad))).Code);

        var small = new byte[10];
        small[0] = 1;
        BinaryPrimitives.WriteUInt16BigEndian(small.AsSpan(2), 1);
        BinaryPrimitives.WriteUInt16BigEndian(small.AsSpan(4), 1); // MAX_FRAME_SIZE
        BinaryPrimitives.WriteUInt32BigEndian(small.AsSpan(6), 100); // below 16,384
        Assert.Contains("MAX_FRAME_SIZE", Assert.Throws<ProtocolException>(() => ControlPayloads.ReadHello(new(small))).Message, StringComparison.Ordinal);

        var lying = new byte[] { 1, 0, 0, 5, 0, 1 };
        Assert.Equal(ErrorCode.FrameSizeError, Assert.Throws<ProtocolException>(() => ControlPayloads.ReadHello(new(lying))).Code);
    }

    [Fact]
    public void Status_and_goaway_with_lying_message_lengths_are_refused()
    {
        var status = new byte[] { 0, 0, 0, 0, 1, 0, 9, (byte)'x' };
        Assert.Equal(ErrorCode.FrameSizeError, Assert.Throws<ProtocolException>(() => ControlPayloads.ReadStatus(new(status), 1)).Code);
        var kind = new byte[] { 7, 0, 0, 0, 1, 0, 0 };
        Assert.Equal(ErrorCode.ProtocolError, Assert.Throws<ProtocolException>(() => ControlPayloads.ReadStatus(new(kind), 1)).Code);
        var goAway = new byte[] { 0, 0, 0, 1, 0, 0, 0, 0, 0, 50 };
        Assert.Equal(ErrorCode.FrameSizeError, Assert.Throws<ProtocolException>(() => ControlPayloads.ReadGoAway(new(goAway))).Code);
    }

    private static byte[] Block(Action<List<byte>> build)
    {
        var b = new List<byte>();
        build(b);
        return [.. b];
    }

    private static void U32(List<byte> b, int v) { var s = new byte[4]; BinaryPrimitives.WriteInt32BigEndian(s, v); b.AddRange(s); }

    private static void Name(List<byte> b, string s) { b.Add((byte)s.Length); b.AddRange(System.Text.Encoding.UTF8.GetBytes(s)); }

    public static TheoryData<string, byte[]> MalformedBlocks() => new()
    {
        { "truncated", new byte[] { 0, 0 } },
        { "empty domain", Block(b => { U32(b, 0); b.Add(0); }) },
        { "domain longer than block", Block(b => { U32(b, 0); b.Add(200); b.Add((byte)'a'); }) },
        { "control char in command", Block(b => { U32(b, 0); Name(b, "d"); Name(b, "a\nb"); U32(b, 0); b.AddRange(new byte[2]); }) },
        { "argument count larger than block", Block(b => { U32(b, 0); Name(b, "d"); Name(b, "c"); U32(b, 50); }) },
        { "negative argument length", Block(b => { U32(b, 0); Name(b, "d"); Name(b, "c"); U32(b, 1); U32(b, -1); b.AddRange(new byte[2]); }) },
        { "argument longer than block", Block(b => { U32(b, 0); Name(b, "d"); Name(b, "c"); U32(b, 1); U32(b, 1_000_000); b.AddRange(new byte[2]); }) },
        { "bad metadata name", Block(b => { U32(b, 0); Name(b, "d"); Name(b, "c"); U32(b, 0); b.Add(0); b.Add(1); Name(b, "a b"); U32(b, 0); }) },
        { "invalid utf8 value", Block(b => { U32(b, 0); Name(b, "d"); Name(b, "c"); U32(b, 0); b.Add(0); b.Add(1); Name(b, "k"); U32(b, 2); b.Add(0xC3); b.Add(0x28); }) },
        { "trailing bytes", Block(b => { U32(b, 0); Name(b, "d"); Name(b, "c"); U32(b, 0); b.Add(0); b.Add(0); b.Add(9); }) },
    };

    [Theory]
    [MemberData(nameof(MalformedBlocks))]
    public void Malformed_request_headers_are_stream_errors(string why, byte[] block)
    {
        var ex = Assert.Throws<ProtocolException>(() => RequestHeaderCodec.Read(new ReadOnlySequence<byte>(block), 100, 7));
        Assert.Equal(ErrorCode.BadCommand, ex.Code);
        Assert.Equal(7u, ex.StreamId);
        Assert.False(ex.IsConnectionError, why);
    }

    [Fact]
    public void Too_many_arguments_is_toomany_args()
    {
        var block = Block(b => { U32(b, 0); Name(b, "d"); Name(b, "c"); U32(b, 5); for (int i = 0; i < 5; i++) { U32(b, 0); } b.Add(0); b.Add(0); });
        var ex = Assert.Throws<ProtocolException>(() => RequestHeaderCodec.Read(new ReadOnlySequence<byte>(block), 4, 3));
        Assert.Equal(ErrorCode.TooManyArgs, ex.Code);
        Assert.Equal(5, RequestHeaderCodec.Read(new ReadOnlySequence<byte>(block), 5, 3).Arguments.Count);
    }

    [Fact]
    public void Identity_frames_round_trip_and_the_hello_says_who_accepts_them()
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameWriter.WriteIdentity(writer, [7, 8, 9]);
        var buffer = new ReadOnlySequence<byte>(writer.WrittenMemory);
        Assert.True(FrameReader.TryReadFrame(ref buffer, 65_536, out var header, out var payload));
        Assert.Equal(FrameType.Identity, header.Type);
        Assert.Equal(0u, header.StreamId);
        Assert.Equal(new byte[] { 7, 8, 9 }, payload.ToArray());

        foreach (bool accepts in new[] { false, true })
        {
            var hello = new ArrayBufferWriter<byte>();
            FrameWriter.WriteHello(hello, ProtocolSettings.Default with { AcceptsIdentityNotices = accepts });
            var read = ControlPayloads.ReadHello(new ReadOnlySequence<byte>(hello.WrittenMemory[FrameHeader.Size..]));
            Assert.Equal(accepts, read.AcceptsIdentityNotices);
            Assert.Equal(accepts ? 4 + (8 * 6) : 4 + (7 * 6), hello.WrittenCount - FrameHeader.Size); // setting 9 only when set
        }
    }
}
