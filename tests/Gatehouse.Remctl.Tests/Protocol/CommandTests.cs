using Gatehouse.Protocol;
using System.Buffers.Binary;
using System.Text;
using Gatehouse.Remctl.Protocol;

namespace Gatehouse.Remctl.Tests.Protocol;

public class CommandTests
{
    private static ReadOnlyMemory<byte>[] Args(params string[] args) => [.. args.Select(a => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(a))];

    private static string[] Strings(IReadOnlyList<ReadOnlyMemory<byte>> args) => [.. args.Select(a => Encoding.UTF8.GetString(a.Span))];

    private static IReadOnlyList<ReadOnlyMemory<byte>> Assemble(RemctlCommandAssembler assembler, IEnumerable<byte[]> messages)
    {
        IReadOnlyList<ReadOnlyMemory<byte>>? result = null;
        foreach (var m in messages)
        {
            Assert.Null(result);
            if (assembler.Append((RemctlCommandMessage)RemctlMessageReader.Parse(m), out var args))
            {
                result = args;
            }
        }

        return result ?? throw new Xunit.Sdk.XunitException("command never completed");
    }

    private static byte[] Body(params string[] args)
    {
        var body = new List<byte>();
        var n = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(n, (uint)args.Length);
        body.AddRange(n);
        foreach (var a in args)
        {
            var bytes = Encoding.UTF8.GetBytes(a);
            BinaryPrimitives.WriteUInt32BigEndian(n, (uint)bytes.Length);
            body.AddRange(n);
            body.AddRange(bytes);
        }

        return [.. body];
    }

    private static RemctlCommandMessage Chunk(RemctlContinueStatus status, ReadOnlyMemory<byte> data, bool keepAlive = true)
        => new(2, keepAlive, status, data);

    [Fact]
    public void Small_command_is_one_message_with_continue_0()
    {
        var messages = RemctlCommandEncoder.Encode(Args("test", "echo", "hi"), keepAlive: true);
        var m = Assert.Single(messages);
        Assert.Equal(new byte[] { 2, 1, 1, 0 }, m[..4]);
        Assert.Equal(Body("test", "echo", "hi"), m[4..]);
        Assert.Equal(["test", "echo", "hi"], Strings(Assemble(new RemctlCommandAssembler(), messages)));
    }

    [Fact]
    public void Large_command_is_split_into_continued_messages_and_reassembled()
    {
        var big = new string('x', 200_000);
        var messages = RemctlCommandEncoder.Encode(Args("cmd", big, "", "tail"), keepAlive: false);
        Assert.True(messages.Count >= 4);
        Assert.All(messages, m => Assert.True(m.Length <= RemctlLimits.MaxMessage));
        Assert.Equal((byte)RemctlContinueStatus.First, messages[0][3]);
        Assert.All(messages.Skip(1).SkipLast(1), m => Assert.Equal((byte)RemctlContinueStatus.Middle, m[3]));
        Assert.Equal((byte)RemctlContinueStatus.Last, messages[^1][3]);
        var assembler = new RemctlCommandAssembler();
        Assert.Equal(["cmd", big, "", "tail"], Strings(Assemble(assembler, messages)));
        Assert.False(assembler.KeepAlive);
    }

    [Fact]
    public void Command_split_at_every_byte_boundary_assembles_the_same()
    {
        byte[] body = Body("test", "echo", "", "hello world");
        var assembler = new RemctlCommandAssembler();
        for (int split = 0; split <= body.Length; split++)
        {
            Assert.False(assembler.Append(Chunk(RemctlContinueStatus.First, body.AsMemory(0, split)), out _));
            Assert.True(assembler.InProgress);
            Assert.True(assembler.Append(Chunk(RemctlContinueStatus.Last, body.AsMemory(split)), out var args));
            Assert.Equal(["test", "echo", "", "hello world"], Strings(args));
            Assert.False(assembler.InProgress);
        }
    }

    [Fact]
    public void Command_one_byte_per_message_assembles()
    {
        byte[] body = Body("a", "bc");
        var assembler = new RemctlCommandAssembler();
        for (int i = 0; i < body.Length; i++)
        {
            var status = i == 0 ? RemctlContinueStatus.First : i == body.Length - 1 ? RemctlContinueStatus.Last : RemctlContinueStatus.Middle;
            bool done = assembler.Append(Chunk(status, body.AsMemory(i, 1)), out var args);
            Assert.Equal(i == body.Length - 1, done);
            if (done)
            {
                Assert.Equal(["a", "bc"], Strings(args));
            }
        }
    }

    [Fact]
    public void Too_many_arguments_is_rejected_when_the_count_arrives()
    {
        var assembler = new RemctlCommandAssembler(maxArguments: 3);
        var ex = Assert.Throws<RemctlProtocolException>(() => assembler.Append(Chunk(RemctlContinueStatus.First, new byte[] { 0, 0, 0, 4 }), out _));
        Assert.Equal(RemctlErrorCode.TooManyArgs, ex.ErrorCode);
        Assert.False(assembler.InProgress);
    }

    [Fact]
    public void Declared_argument_length_over_the_limit_is_rejected_before_buffering()
    {
        var assembler = new RemctlCommandAssembler(maxCommandBytes: 1000);
        byte[] data = [0, 0, 0, 1, 0, 0, 0x10, 0]; // one argument of 4096 bytes, none sent yet
        var ex = Assert.Throws<RemctlProtocolException>(() => assembler.Append(Chunk(RemctlContinueStatus.First, data), out _));
        Assert.Equal(RemctlErrorCode.TooMuchData, ex.ErrorCode);
    }

    [Fact]
    public void Default_limits_reject_a_2_GiB_argument_length()
    {
        byte[] data = [0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff];
        var ex = Assert.Throws<RemctlProtocolException>(() => new RemctlCommandAssembler().Append(Chunk(RemctlContinueStatus.First, data), out _));
        Assert.Equal(RemctlErrorCode.TooMuchData, ex.ErrorCode);
    }

    [Fact]
    public void Total_received_over_the_limit_is_too_much_data()
    {
        var assembler = new RemctlCommandAssembler(maxCommandBytes: 100);
        byte[] first = new byte[60];
        first[3] = 1;  // argc 1
        first[7] = 95; // argument of 95 bytes: within the limit as declared
        Assert.False(assembler.Append(Chunk(RemctlContinueStatus.First, first), out _));
        var ex = Assert.Throws<RemctlProtocolException>(() => assembler.Append(Chunk(RemctlContinueStatus.Middle, new byte[60]), out _));
        Assert.Equal(RemctlErrorCode.TooMuchData, ex.ErrorCode);
    }

    [Theory]
    [InlineData(RemctlContinueStatus.Middle)]
    [InlineData(RemctlContinueStatus.Last)]
    public void Continuation_without_a_first_chunk_is_bad_command(RemctlContinueStatus status)
    {
        var ex = Assert.Throws<RemctlProtocolException>(() => new RemctlCommandAssembler().Append(Chunk(status, Body("x")), out _));
        Assert.Equal(RemctlErrorCode.BadCommand, ex.ErrorCode);
    }

    [Theory]
    [InlineData(RemctlContinueStatus.First)]
    [InlineData(RemctlContinueStatus.Complete)]
    public void New_command_inside_a_continued_one_is_bad_command(RemctlContinueStatus status)
    {
        var assembler = new RemctlCommandAssembler();
        assembler.Append(Chunk(RemctlContinueStatus.First, new byte[] { 0, 0 }), out _);
        var ex = Assert.Throws<RemctlProtocolException>(() => assembler.Append(Chunk(status, Body("x")), out _));
        Assert.Equal(RemctlErrorCode.BadCommand, ex.ErrorCode);
        Assert.False(assembler.InProgress);
    }

    [Fact]
    public void Truncated_command_is_bad_command()
    {
        byte[] body = Body("test", "echo");
        var ex = Assert.Throws<RemctlProtocolException>(() => new RemctlCommandAssembler().Append(Chunk(RemctlContinueStatus.Complete, body.AsMemory(0, body.Length - 1)), out _));
        Assert.Equal(RemctlErrorCode.BadCommand, ex.ErrorCode);
    }

    [Fact]
    public void Extra_bytes_after_the_last_argument_are_bad_command()
    {
        byte[] body = [.. Body("test"), 0];
        var ex = Assert.Throws<RemctlProtocolException>(() => new RemctlCommandAssembler().Append(Chunk(RemctlContinueStatus.Complete, body), out _));
        Assert.Equal(RemctlErrorCode.BadCommand, ex.ErrorCode);
    }

    [Fact]
    public void Zero_arguments_is_unknown_command()
    {
        var ex = Assert.Throws<RemctlProtocolException>(() => new RemctlCommandAssembler().Append(Chunk(RemctlContinueStatus.Complete, new byte[4]), out _));
        Assert.Equal(RemctlErrorCode.UnknownCommand, ex.ErrorCode);
    }

    [Fact]
    public void Assembler_is_reusable_after_an_error_and_after_reset()
    {
        var assembler = new RemctlCommandAssembler();
        Assert.Throws<RemctlProtocolException>(() => assembler.Append(Chunk(RemctlContinueStatus.Last, Body("x")), out _));
        assembler.Append(Chunk(RemctlContinueStatus.First, new byte[] { 0, 0, 0 }), out _);
        assembler.Reset();
        Assert.True(assembler.Append(Chunk(RemctlContinueStatus.Complete, Body("ok", "1")), out var args));
        Assert.Equal(["ok", "1"], Strings(args));
    }

    [Fact]
    public void Encoder_never_splits_a_length_field()
    {
        // Sizes chosen so that a length field would straddle the 64 KiB boundary without the rule.
        var args = Args("c", new string('y', RemctlLimits.MaxMessage - 4 - 4 - 4 - 1 - 4 - 2), "zz");
        var messages = RemctlCommandEncoder.Encode(args, true);
        Assert.Equal(2, messages.Count);
        Assert.Equal(["c", new string('y', RemctlLimits.MaxMessage - 19), "zz"], Strings(Assemble(new RemctlCommandAssembler(), messages)));
        Assert.Equal(RemctlLimits.MaxMessage - 2, messages[0].Length);
        Assert.Equal(4 + 4 + 2, messages[1].Length);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(3, 3)]
    [InlineData(255, 255)]
    [InlineData(256, 255)]
    [InlineData(-1, 255)]
    [InlineData(-127, 129)]
    [InlineData(-128, 255)]
    public void Exit_codes_map_like_remctld(int code, int expected)
        => Assert.Equal(expected, Gatehouse.Remctl.Server.RemctlServerSession.ExitStatusByte(code));
}
