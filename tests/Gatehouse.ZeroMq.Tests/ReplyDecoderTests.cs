using System.Text;
using Gatehouse.ZeroMq.Protocol;

namespace Gatehouse.ZeroMq.Tests;

public class ReplyDecoderTests
{
    private static ZeroMqReply Decode(params string[] parts) => ZeroMqReplyDecoder.Decode(Bytes.Parts(parts));

    private static ZeroMqProtocolError Fail(ZeroMqReplyLimits? limits, params string[] parts)
    {
        Assert.False(ZeroMqReplyDecoder.TryDecode(Bytes.Parts(parts), limits, out var reply, out var error));
        Assert.Null(reply);
        return error;
    }

    [Fact]
    public void Seed_example_reply_keeps_order_and_streams()
    {
        var reply = Decode(
            "OUTPUT", "1", "Here is some sample output\n", "OUTPUT", "2", "Error output\n",
            "OUTPUT", "2", "More err\n", "OUTPUT", "1", "Another line\n", "RETURNCODE", "23");

        var code = Assert.IsType<ZeroMqReply.ReturnCode>(reply);
        Assert.Equal(23, code.Code);
        Assert.Equal([1, 2, 2, 1], reply.Outputs.Select(o => o.Stream));
        Assert.Equal(
            ["Here is some sample output\n", "Error output\n", "More err\n", "Another line\n"],
            reply.Outputs.Select(o => Bytes.Text(o.Data)));
    }

    [Fact]
    public void Short_forms_O_and_R()
    {
        var reply = Decode("O", "1", "out", "O", "2", "err", "R", "7");

        Assert.Equal(7, Assert.IsType<ZeroMqReply.ReturnCode>(reply).Code);
        Assert.Equal(2, reply.Outputs.Count);
    }

    [Fact]
    public void In_a_reply_E_means_ERRORCODE()
    {
        var reply = Decode("O", "2", "denied\n", "E", "6");

        var error = Assert.IsType<ZeroMqReply.ErrorCode>(reply);
        Assert.Equal(6, error.Code);
        Assert.Equal(ZeroMqRemctlError.AccessDenied, error.KnownError);
    }

    [Fact]
    public void Long_and_short_forms_mix()
    {
        var reply = Decode("OUTPUT", "1", "a", "O", "1", "b", "ERRORCODE", "5");

        Assert.Equal(ZeroMqRemctlError.UnknownCommand, Assert.IsType<ZeroMqReply.ErrorCode>(reply).KnownError);
        Assert.Equal(2, reply.Outputs.Count);
    }

    [Fact]
    public void Unknown_error_codes_pass_through()
    {
        var error = Assert.IsType<ZeroMqReply.ErrorCode>(Decode("ERRORCODE", "4242"));

        Assert.Equal(4242, error.Code);
        Assert.Null(error.KnownError);
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("255", 255)]
    [InlineData("007", 7)]
    [InlineData("-1", -1)]
    [InlineData("2147483647", int.MaxValue)]
    [InlineData("-2147483648", int.MinValue)]
    [InlineData("-0", 0)]
    public void Return_codes_accept_any_32_bit_integer(string text, int expected)
    {
        Assert.Equal(expected, Assert.IsType<ZeroMqReply.ReturnCode>(Decode("RETURNCODE", text)).Code);
    }

    [Fact]
    public void Final_code_alone_is_a_valid_reply()
    {
        Assert.Empty(Decode("R", "0").Outputs);
    }

    [Fact]
    public void Empty_output_data_and_data_that_looks_like_tags_stay_data()
    {
        var reply = Decode("OUTPUT", "1", "", "OUTPUT", "1", "RETURNCODE", "OUTPUT", "2", "E", "R", "3");

        Assert.Equal(["", "RETURNCODE", "E"], reply.Outputs.Select(o => Bytes.Text(o.Data)));
        Assert.Equal(3, Assert.IsType<ZeroMqReply.ReturnCode>(reply).Code);
    }

    [Fact]
    public void Binary_output_is_kept_exactly()
    {
        var data = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var reply = ZeroMqReplyDecoder.Decode(["OUTPUT"u8.ToArray(), "1"u8.ToArray(), data, "R"u8.ToArray(), "0"u8.ToArray()]);

        Assert.Equal(data, reply.Outputs[0].Data.ToArray());
    }

    [Fact]
    public void Streams_above_two_are_allowed_up_to_255()
    {
        var reply = Decode("OUTPUT", "3", "x", "OUTPUT", "255", "y", "R", "0");

        Assert.Equal([3, 255], reply.Outputs.Select(o => o.Stream));
    }

    public static TheoryData<string[], ZeroMqProtocolErrorKind, int> Malformed => new()
    {
        { [], ZeroMqProtocolErrorKind.MissingFinalCode, -1 },
        { ["BOGUS"], ZeroMqProtocolErrorKind.UnknownTag, 0 },
        { ["output", "1", "x", "R", "0"], ZeroMqProtocolErrorKind.UnknownTag, 0 },
        { ["ENVIRONMENT", "0"], ZeroMqProtocolErrorKind.UnknownTag, 0 },
        { ["ARGUMENT", "0"], ZeroMqProtocolErrorKind.UnknownTag, 0 },
        { ["A", "0"], ZeroMqProtocolErrorKind.UnknownTag, 0 },
        { [""], ZeroMqProtocolErrorKind.UnknownTag, 0 },
        { ["OUTPUT ", "1", "x", "R", "0"], ZeroMqProtocolErrorKind.UnknownTag, 0 },
        { ["OUTPUT", "1", "x", "STATUS", "0"], ZeroMqProtocolErrorKind.UnknownTag, 3 },
        { ["OUTPUT"], ZeroMqProtocolErrorKind.MissingPart, 1 },
        { ["OUTPUT", "1"], ZeroMqProtocolErrorKind.MissingPart, 2 },
        { ["RETURNCODE"], ZeroMqProtocolErrorKind.MissingPart, 1 },
        { ["ERRORCODE"], ZeroMqProtocolErrorKind.MissingPart, 1 },
        { ["O", "1", "x", "R"], ZeroMqProtocolErrorKind.MissingPart, 4 },
        { ["OUTPUT", "1", "x"], ZeroMqProtocolErrorKind.MissingFinalCode, -1 },
        { ["O", "1", "x", "O", "2", "y"], ZeroMqProtocolErrorKind.MissingFinalCode, -1 },
        { ["OUTPUT", "one", "x", "R", "0"], ZeroMqProtocolErrorKind.InvalidNumber, 1 },
        { ["OUTPUT", "", "x", "R", "0"], ZeroMqProtocolErrorKind.InvalidNumber, 1 },
        { ["OUTPUT", "+1", "x", "R", "0"], ZeroMqProtocolErrorKind.InvalidNumber, 1 },
        { ["OUTPUT", " 1", "x", "R", "0"], ZeroMqProtocolErrorKind.InvalidNumber, 1 },
        { ["OUTPUT", "1\n", "x", "R", "0"], ZeroMqProtocolErrorKind.InvalidNumber, 1 },
        { ["OUTPUT", "0x1", "x", "R", "0"], ZeroMqProtocolErrorKind.InvalidNumber, 1 },
        { ["OUTPUT", "1.0", "x", "R", "0"], ZeroMqProtocolErrorKind.InvalidNumber, 1 },
        { ["OUTPUT", "0", "x", "R", "0"], ZeroMqProtocolErrorKind.InvalidStream, 1 },
        { ["OUTPUT", "-1", "x", "R", "0"], ZeroMqProtocolErrorKind.InvalidStream, 1 },
        { ["OUTPUT", "256", "x", "R", "0"], ZeroMqProtocolErrorKind.InvalidStream, 1 },
        { ["OUTPUT", "99999999999", "x", "R", "0"], ZeroMqProtocolErrorKind.NumberOutOfRange, 1 },
        { ["RETURNCODE", "abc"], ZeroMqProtocolErrorKind.InvalidNumber, 1 },
        { ["RETURNCODE", ""], ZeroMqProtocolErrorKind.InvalidNumber, 1 },
        { ["RETURNCODE", "-"], ZeroMqProtocolErrorKind.InvalidNumber, 1 },
        { ["RETURNCODE", "--1"], ZeroMqProtocolErrorKind.InvalidNumber, 1 },
        { ["RETURNCODE", "1-"], ZeroMqProtocolErrorKind.InvalidNumber, 1 },
        { ["RETURNCODE", "2147483648"], ZeroMqProtocolErrorKind.NumberOutOfRange, 1 },
        { ["RETURNCODE", "-2147483649"], ZeroMqProtocolErrorKind.NumberOutOfRange, 1 },
        { ["RETURNCODE", "123456789012345678901234567890"], ZeroMqProtocolErrorKind.NumberOutOfRange, 1 },
        { ["ERRORCODE", "0"], ZeroMqProtocolErrorKind.NumberOutOfRange, 1 },
        { ["E", "-6"], ZeroMqProtocolErrorKind.NumberOutOfRange, 1 },
        { ["E", "six"], ZeroMqProtocolErrorKind.InvalidNumber, 1 },
        { ["RETURNCODE", "0", "OUTPUT"], ZeroMqProtocolErrorKind.TrailingParts, 2 },
        { ["R", "0", "R", "0"], ZeroMqProtocolErrorKind.TrailingParts, 2 },
        { ["O", "1", "x", "E", "5", ""], ZeroMqProtocolErrorKind.TrailingParts, 5 },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_replies_give_a_typed_error(string[] parts, ZeroMqProtocolErrorKind kind, int partIndex)
    {
        var error = Fail(null, parts);

        Assert.Equal(kind, error.Kind);
        Assert.Equal(partIndex, error.PartIndex);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));

        var ex = Assert.Throws<ZeroMqProtocolException>(() => ZeroMqReplyDecoder.Decode(Bytes.Parts(parts)));
        Assert.Equal(error, ex.Error);
        Assert.Contains(error.Message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Error_messages_name_the_problem_and_escape_peer_bytes()
    {
        var error = Fail(null, "O", "1", "x", "BAD\u0001TAG\"", "0");

        Assert.Equal("part 3: unknown tag \"BAD\\x01TAG\\x22\"; expected OUTPUT (O), RETURNCODE (R) or ERRORCODE (E)", error.Message);
        Assert.Contains("stream number 0 is outside 1..255", Fail(null, "O", "0", "x", "R", "0").Message, StringComparison.Ordinal);
        Assert.Contains("after the final RETURNCODE", Fail(null, "R", "0", "x").Message, StringComparison.Ordinal);
        Assert.Contains("after the final ERRORCODE", Fail(null, "E", "1", "x").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Long_peer_strings_are_truncated_in_messages()
    {
        var error = Fail(null, new string('Z', 10_000));

        Assert.True(error.Message.Length < 200, error.Message);
        Assert.Contains("(10000 bytes)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Part_limit_is_exact()
    {
        var limits = new ZeroMqReplyLimits { MaxParts = 5 };
        Assert.True(ZeroMqReplyDecoder.TryDecode(Bytes.Parts("O", "1", "x", "R", "0"), limits, out _, out _));

        var error = Fail(limits, "O", "1", "x", "O", "1", "y", "R", "0");
        Assert.Equal(ZeroMqProtocolErrorKind.TooManyParts, error.Kind);
        Assert.Equal(5, error.PartIndex);
    }

    [Fact]
    public void Byte_limit_is_exact_and_counts_every_part()
    {
        // O(1) + 1(1) + data(5) + R(1) + 0(1) = 9 bytes
        var limits = new ZeroMqReplyLimits { MaxBytes = 9 };
        Assert.True(ZeroMqReplyDecoder.TryDecode(Bytes.Parts("O", "1", "12345", "R", "0"), limits, out _, out _));

        var error = Fail(limits, "O", "1", "12345678", "R", "0");
        Assert.Equal(ZeroMqProtocolErrorKind.TooLarge, error.Kind);
        Assert.Equal(2, error.PartIndex);
    }

    [Fact]
    public void Default_limits_are_documented_values()
    {
        Assert.Equal(16L * 1024 * 1024, ZeroMqReplyLimits.Default.MaxBytes);
        Assert.Equal(65_536, ZeroMqReplyLimits.Default.MaxParts);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ZeroMqReplyReader(new ZeroMqReplyLimits { MaxParts = 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ZeroMqReplyReader(new ZeroMqReplyLimits { MaxBytes = 0 }));
    }

    [Fact]
    public void Every_prefix_of_a_valid_reply_is_incomplete_never_an_exception()
    {
        var parts = Bytes.Parts("OUTPUT", "1", "a", "O", "2", "", "OUTPUT", "1", "c", "RETURNCODE", "23");
        for (var k = 0; k < parts.Count; k++)
        {
            var error = Fail(null, parts.Take(k).Select(Bytes.Text).ToArray());
            Assert.True(
                error.Kind is ZeroMqProtocolErrorKind.MissingPart or ZeroMqProtocolErrorKind.MissingFinalCode,
                $"prefix {k}: {error.Kind}");
        }

        Assert.True(ZeroMqReplyDecoder.TryDecode(parts, null, out _, out _));
    }

    [Fact]
    public void Incremental_reader_matches_whole_decode_and_stops_at_first_error()
    {
        var reader = new ZeroMqReplyReader();
        Assert.True(reader.Add("O"u8.ToArray()));
        Assert.True(reader.Add("1"u8.ToArray()));
        Assert.True(reader.Add("data"u8.ToArray()));
        Assert.Equal(3, reader.PartCount);
        Assert.Equal(6, reader.ByteCount);
        Assert.Null(reader.Error);
        Assert.False(reader.Add("X"u8.ToArray()));
        var first = reader.Error;
        Assert.NotNull(first);
        Assert.False(reader.Add("R"u8.ToArray()));
        Assert.False(reader.Add("0"u8.ToArray()));
        Assert.Same(first, reader.Error);
        Assert.False(reader.TryComplete(out var reply, out var error));
        Assert.Null(reply);
        Assert.Same(first, error);
    }

    [Fact]
    public void Output_data_is_not_copied()
    {
        var buffer = Encoding.ASCII.GetBytes("..payload..");
        var reply = ZeroMqReplyDecoder.Decode(["O"u8.ToArray(), "1"u8.ToArray(), buffer.AsMemory(2, 7), "R"u8.ToArray(), "0"u8.ToArray()]);

        Assert.True(reply.Outputs[0].Data.Span.Overlaps(buffer));
    }

    [Fact]
    public void Random_hostile_replies_never_throw()
    {
        var random = new Random(4004);
        string[] vocabulary = ["OUTPUT", "O", "RETURNCODE", "R", "ERRORCODE", "E", "1", "2", "0", "-1", "256", "x", "", "99999999999", "\0"];
        var limits = new ZeroMqReplyLimits { MaxParts = 12, MaxBytes = 64 };
        for (var i = 0; i < 20_000; i++)
        {
            var parts = Enumerable.Range(0, random.Next(0, 16))
                .Select(_ => random.Next(8) == 0
                    ? (ReadOnlyMemory<byte>)Enumerable.Range(0, random.Next(0, 40)).Select(_ => (byte)random.Next(256)).ToArray()
                    : Bytes.Of(vocabulary[random.Next(vocabulary.Length)]))
                .ToArray();
            if (ZeroMqReplyDecoder.TryDecode(parts, limits, out var reply, out var error))
            {
                Assert.NotNull(reply);
            }
            else
            {
                Assert.NotNull(error);
                Assert.InRange(error.PartIndex, -1, parts.Length);
            }
        }
    }
}
