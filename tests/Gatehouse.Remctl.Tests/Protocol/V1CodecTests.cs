using System.Buffers;
using System.Text;
using Gatehouse.Protocol;
using Gatehouse.Remctl.Protocol;
using Gatehouse.Remctl.Server;

namespace Gatehouse.Remctl.Tests.Protocol;

/// <summary>Protocol version 1 payloads (RemctlV1Codec) and the merged, bounded output (RemctlV1OutputSink).</summary>
public sealed class V1CodecTests
{
    private static byte[] Command(params string[] args)
    {
        var w = new ArrayBufferWriter<byte>();
        RemctlV1Codec.WriteCommand(w, [.. args.Select(a => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(a))]);
        return w.WrittenSpan.ToArray();
    }

    private static IReadOnlyList<ReadOnlyMemory<byte>> Parse(byte[] payload, int maxArguments = 4096, long maxBytes = 100L << 20)
        => RemctlV1Codec.ParseCommand(payload, maxArguments, maxBytes);

    private static RemctlProtocolException Rejects(byte[] payload, int maxArguments = 4096, long maxBytes = 100L << 20)
        => Assert.Throws<RemctlProtocolException>(() => Parse(payload, maxArguments, maxBytes));

    [Fact]
    public void A_command_is_argc_then_each_argument_with_a_big_endian_length()
    {
        Assert.Equal(Convert.FromHexString("00000002" + "00000004" + "6563686f" + "00000000"), Command("echo", ""));
        var args = Parse(Command("echo", "", "h\u00e9llo"));
        Assert.Equal(["echo", "", "h\u00e9llo"], args.Select(a => Encoding.UTF8.GetString(a.Span)));
    }

    [Fact]
    public void Binary_arguments_with_nul_bytes_round_trip()
    {
        byte[] arg = [0, 1, 2, 0xff, 0];
        var w = new ArrayBufferWriter<byte>();
        RemctlV1Codec.WriteCommand(w, [arg, Array.Empty<byte>()]);
        var args = Parse(w.WrittenSpan.ToArray());
        Assert.Equal(arg, args[0].ToArray());
        Assert.True(args[1].IsEmpty);
    }

    [Fact]
    public void No_arguments_is_Unknown_command_as_remctld_says()
    {
        var ex = Rejects(Convert.FromHexString("00000000"));
        Assert.Equal(RemctlErrorCode.UnknownCommand, ex.ErrorCode);
        Assert.Equal("Unknown command", ex.Message);
    }

    [Fact]
    public void More_arguments_than_the_limit_is_Too_many_arguments_even_before_their_data()
    {
        var ex = Rejects(Convert.FromHexString("00000003"), maxArguments: 2);
        Assert.Equal(RemctlErrorCode.TooManyArgs, ex.ErrorCode);
        Assert.Equal("Too many arguments", ex.Message);
        Assert.Equal(RemctlErrorCode.TooManyArgs, Rejects(Convert.FromHexString("ffffffff")).ErrorCode);
        Assert.Equal(2, Parse(Command("a", "b"), maxArguments: 2).Count);
    }

    [Theory]
    [InlineData("")]                                            // empty
    [InlineData("000001")]                                      // shorter than argc
    [InlineData("00000002" + "00000001" + "61")]                // fewer length fields than argc
    [InlineData("00000001" + "00000005" + "6563686f")]          // length past the end
    [InlineData("00000001" + "ffffffff" + "6563686f")]          // length far past the end (no overflow)
    [InlineData("00000001" + "00000004" + "6563686f" + "00")]   // trailing byte
    [InlineData("00000001" + "00000004" + "6563686f" + "00000000")] // more arguments than argc
    [InlineData("00000002" + "00000004" + "6563686f" + "000000")]   // second length cut short
    public void Lengths_that_do_not_add_up_are_Invalid_command_token(string hex)
    {
        var ex = Rejects(Convert.FromHexString(hex));
        Assert.Equal(RemctlErrorCode.BadCommand, ex.ErrorCode);
        Assert.Equal("Invalid command token", ex.Message);
    }

    [Fact]
    public void A_command_over_64_KiB_is_Too_much_data()
    {
        var big = Command("echo", new string('x', RemctlLimits.MaxMessage));
        var ex = Rejects(big);
        Assert.Equal(RemctlErrorCode.TooMuchData, ex.ErrorCode);
        Assert.Equal("Too much data", ex.Message);
        Assert.Single(Parse(Command(new string('x', RemctlLimits.MaxMessage - 8))));
    }

    [Fact]
    public void Argument_bytes_over_MaxCommandBytes_are_Too_much_data()
    {
        Assert.Equal(RemctlErrorCode.TooMuchData, Rejects(Command("abc", "de"), maxBytes: 4).ErrorCode);
        Assert.Equal(2, Parse(Command("ab", "cd"), maxBytes: 4).Count);
    }

    [Fact]
    public void Every_truncation_of_a_good_command_is_rejected_with_a_protocol_error_never_another_exception()
    {
        byte[] good = Command("test", "args", "", "x", new string('y', 300));
        for (int n = 0; n < good.Length; n++)
        {
            Rejects(good[..n]);
        }

        Assert.Equal(5, Parse(good).Count);
    }

    [Fact]
    public void Random_payloads_never_throw_anything_but_a_protocol_error()
    {
        var random = new Random(1801);
        var buffer = new byte[64];
        for (int i = 0; i < 20_000; i++)
        {
            random.NextBytes(buffer);
            int length = random.Next(buffer.Length + 1);
            if (length >= 4 && random.Next(2) == 0)
            {
                buffer[0] = buffer[1] = buffer[2] = 0; // small argc, so lengths get parsed
            }

            try
            {
                Parse(buffer[..length]);
            }
            catch (RemctlProtocolException)
            {
                // Expected for almost every input.
            }
        }
    }

    [Fact]
    public void A_reply_is_signed_status_length_and_output()
    {
        var w = new ArrayBufferWriter<byte>();
        RemctlV1Codec.WriteReply(w, 3, "out\n"u8);
        Assert.Equal(Convert.FromHexString("00000003" + "00000004" + "6f75740a"), w.WrittenSpan.ToArray());
        var (status, output) = RemctlV1Codec.ParseReply(w.WrittenMemory);
        Assert.Equal(3, status);
        Assert.Equal("out\n"u8.ToArray(), output.ToArray());
    }

    [Fact]
    public void An_error_reply_is_status_minus_1_and_the_text_with_a_newline()
    {
        var w = new ArrayBufferWriter<byte>();
        RemctlV1Codec.WriteError(w, "Access denied");
        Assert.Equal([.. Convert.FromHexString("ffffffff" + "0000000e"), .. "Access denied\n"u8.ToArray()], w.WrittenSpan.ToArray());
    }

    [Fact]
    public void A_reply_holds_at_most_65528_bytes_of_output()
    {
        Assert.Equal(65_528, RemctlV1Codec.MaxOutput);
        var w = new ArrayBufferWriter<byte>();
        RemctlV1Codec.WriteReply(w, 0, new byte[RemctlV1Codec.MaxOutput]);
        Assert.Equal(RemctlLimits.MaxMessage, w.WrittenCount);
        Assert.Throws<ArgumentException>(() => RemctlV1Codec.WriteReply(new ArrayBufferWriter<byte>(), 0, new byte[RemctlV1Codec.MaxOutput + 1]));
    }

    [Theory]
    [InlineData("")]
    [InlineData("00000000" + "0000")]
    [InlineData("00000000" + "00000001")]
    [InlineData("00000000" + "00000000" + "00")]
    public void A_malformed_reply_is_rejected_as_the_stock_client_rejects_it(string hex)
        => Assert.Throws<RemctlProtocolException>(() => RemctlV1Codec.ParseReply(Convert.FromHexString(hex)));

    [Theory]
    [InlineData(0, 0)]
    [InlineData(255, 255)]
    [InlineData(-1, -1)]
    [InlineData(256, -1)]
    [InlineData(-2, -1)]
    [InlineData(int.MinValue, -1)]
    public void Exit_codes_outside_0_to_255_are_sent_as_minus_1(int exitCode, int status)
        => Assert.Equal(status, RemctlV1Codec.ExitStatus(exitCode));

    [Fact]
    public async Task The_output_sink_merges_streams_in_write_order_and_keeps_only_the_first_65528_bytes()
    {
        var sink = new RemctlV1OutputSink();
        await sink.WriteAsync(1, "out\n"u8.ToArray(), default);
        await sink.WriteAsync(2, "err\n"u8.ToArray(), default);
        Assert.Equal("out\nerr\n", Encoding.UTF8.GetString(sink.Output));

        var pattern = TestDispatcherPattern(100_000);
        await sink.WriteAsync(1, pattern, default);
        await sink.WriteAsync(2, pattern, default);
        Assert.Equal(RemctlV1Codec.MaxOutput, sink.Output.Length);
        Assert.Equal(pattern.AsSpan(0, RemctlV1Codec.MaxOutput - 8).ToArray(), sink.Output[8..].ToArray());
        Assert.Equal(8 + 200_000 - RemctlV1Codec.MaxOutput, sink.Discarded);

        sink.Complete();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => sink.WriteAsync(1, "late"u8.ToArray(), default).AsTask());
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => new RemctlV1OutputSink().WriteAsync(3, "x"u8.ToArray(), default).AsTask());
    }

    [Fact]
    public async Task The_output_sink_holds_bounded_memory_however_much_is_written()
    {
        var sink = new RemctlV1OutputSink();
        var chunk = new byte[1 << 20];
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 64; i++)
        {
            await sink.WriteAsync(1, chunk, default);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 256 * 1024, $"allocated {allocated} bytes for 64 MiB of output");
        Assert.Equal((64L << 20) - RemctlV1Codec.MaxOutput, sink.Discarded);
    }

    private static byte[] TestDispatcherPattern(int length) => Infrastructure.TestDispatcher.Pattern(length);
}
