using Gatehouse.Protocol;
using System.Buffers;
using Gatehouse.Remctl.Protocol;

namespace Gatehouse.Remctl.Tests.Protocol;

public class TokenReaderTests
{
    private static byte[] Token(RemctlTokenFlags flags, byte[] payload)
    {
        var w = new ArrayBufferWriter<byte>();
        RemctlTokenWriter.WriteToken(w, flags, payload);
        return w.WrittenSpan.ToArray();
    }

    [Fact]
    public void Writes_flags_big_endian_length_and_payload()
    {
        Assert.Equal(new byte[] { 0x44, 0, 0, 0, 3, 1, 2, 3 }, Token(RemctlLimits.DataV2, [1, 2, 3]));
        Assert.Equal(new byte[] { 0x51, 0, 0, 0, 0 }, Token(RemctlLimits.InitialV2, []));
    }

    [Fact]
    public void Two_tokens_split_at_every_byte_boundary_parse_the_same()
    {
        byte[] payload = [.. Enumerable.Range(0, 300).Select(i => (byte)i)];
        byte[] wire = [.. Token(RemctlLimits.ContextV2, payload), .. Token(RemctlLimits.DataV2, [9])];
        for (int split = 0; split <= wire.Length; split++)
        {
            var tokens = ParseAll(Segment.Create(wire.AsMemory(0, split), wire.AsMemory(split)));
            Assert.Equal(2, tokens.Count);
            Assert.Equal(RemctlLimits.ContextV2, tokens[0].Flags);
            Assert.Equal(payload, tokens[0].Payload);
            Assert.Equal(new byte[] { 9 }, tokens[1].Payload);
        }
    }

    [Fact]
    public void Feeding_one_byte_at_a_time_needs_more_data_until_complete()
    {
        byte[] wire = Token(RemctlLimits.DataV2, [1, 2, 3, 4]);
        var reader = new RemctlTokenReader();
        for (int n = 0; n < wire.Length; n++)
        {
            var input = new ReadOnlySequence<byte>(wire, 0, n);
            var consumed = input.Start;
            var examined = input.Start;
            Assert.False(reader.TryParseMessage(input, ref consumed, ref examined, out _));
            Assert.Equal(input.Start, consumed);
            Assert.Equal(input.End, examined);
        }

        var full = new ReadOnlySequence<byte>(wire);
        var c = full.Start;
        var e = full.Start;
        Assert.True(reader.TryParseMessage(full, ref c, ref e, out var token));
        Assert.Equal(full.End, c);
        Assert.Equal(4, token.Payload.Length);
    }

    [Theory]
    [InlineData(0x00100001u)] // 1 MiB + 1
    [InlineData(0xffffffffu)]
    [InlineData(0x80000000u)]
    public void Oversize_length_is_rejected_from_the_header_alone(uint length)
    {
        byte[] header = [0x44, (byte)(length >> 24), (byte)(length >> 16), (byte)(length >> 8), (byte)length];
        var input = new ReadOnlySequence<byte>(header);
        var consumed = input.Start;
        var examined = input.Start;
        var ex = Assert.Throws<RemctlTokenTooLargeException>(() => new RemctlTokenReader().TryParseMessage(input, ref consumed, ref examined, out _));
        Assert.Equal(RemctlErrorCode.BadToken, ex.ErrorCode);
    }

    [Fact]
    public void Largest_allowed_payload_is_accepted()
    {
        byte[] wire = Token(RemctlLimits.DataV2, new byte[RemctlLimits.MaxTokenPayload]);
        Assert.Single(ParseAll(new ReadOnlySequence<byte>(wire)));
    }

    [Fact]
    public void Writer_refuses_oversize_payload()
        => Assert.Throws<ArgumentOutOfRangeException>(() => Token(RemctlLimits.DataV2, new byte[RemctlLimits.MaxTokenPayload + 1]));

    private static List<(RemctlTokenFlags Flags, byte[] Payload)> ParseAll(ReadOnlySequence<byte> input)
    {
        var reader = new RemctlTokenReader();
        var result = new List<(RemctlTokenFlags, byte[])>();
        while (true)
        {
            var consumed = input.Start;
            var examined = input.Start;
            if (!reader.TryParseMessage(input, ref consumed, ref examined, out var token))
            {
                Assert.True(input.IsEmpty, "trailing bytes did not form a token");
                return result;
            }

            result.Add((token.Flags, token.Payload.ToArray()));
            input = input.Slice(consumed);
        }
    }
}
