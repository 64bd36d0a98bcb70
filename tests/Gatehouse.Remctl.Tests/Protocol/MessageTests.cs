using Gatehouse.Protocol;
using System.Buffers;
using System.Text;
using Gatehouse.Remctl.Protocol;

namespace Gatehouse.Remctl.Tests.Protocol;

public class MessageTests
{
    private static byte[] Write(Action<IBufferWriter<byte>> write)
    {
        var w = new ArrayBufferWriter<byte>();
        write(w);
        return w.WrittenSpan.ToArray();
    }

    [Fact]
    public void Command_round_trips()
    {
        var bytes = Write(w => RemctlMessageWriter.WriteCommand(w, true, RemctlContinueStatus.First, [0, 0, 0, 1]));
        Assert.Equal(new byte[] { 2, 1, 1, 1, 0, 0, 0, 1 }, bytes);
        var m = Assert.IsType<RemctlCommandMessage>(RemctlMessageReader.Parse(bytes));
        Assert.True(m.KeepAlive);
        Assert.Equal(RemctlContinueStatus.First, m.Continue);
        Assert.Equal(new byte[] { 0, 0, 0, 1 }, m.Data.ToArray());
    }

    [Fact]
    public void Quit_round_trips() => Assert.IsType<RemctlQuitMessage>(RemctlMessageReader.Parse(Write(RemctlMessageWriter.WriteQuit)));

    [Fact]
    public void Output_round_trips()
    {
        var bytes = Write(w => RemctlMessageWriter.WriteOutput(w, 2, "hi"u8));
        Assert.Equal(new byte[] { 2, 3, 2, 0, 0, 0, 2, (byte)'h', (byte)'i' }, bytes);
        var m = Assert.IsType<RemctlOutputMessage>(RemctlMessageReader.Parse(bytes));
        Assert.Equal(2, m.Stream);
        Assert.Equal("hi"u8.ToArray(), m.Data.ToArray());
    }

    [Fact]
    public void Status_round_trips()
    {
        var bytes = Write(w => RemctlMessageWriter.WriteStatus(w, 7));
        Assert.Equal(new byte[] { 2, 4, 7 }, bytes);
        Assert.Equal(7, Assert.IsType<RemctlStatusMessage>(RemctlMessageReader.Parse(bytes)).ExitStatus);
    }

    [Fact]
    public void Error_round_trips()
    {
        var bytes = Write(w => RemctlMessageWriter.WriteError(w, 6, "Access denied"u8));
        Assert.Equal(new byte[] { 2, 5, 0, 0, 0, 6, 0, 0, 0, 13 }, bytes[..10]);
        var m = Assert.IsType<RemctlErrorMessage>(RemctlMessageReader.Parse(bytes));
        Assert.Equal(6, m.Code);
        Assert.Equal("Access denied", m.MessageText);
    }

    [Fact]
    public void Version_round_trips()
    {
        var bytes = Write(w => RemctlMessageWriter.WriteVersion(w));
        Assert.Equal(new byte[] { 2, 6, 3 }, bytes);
        Assert.Equal(3, Assert.IsType<RemctlVersionMessage>(RemctlMessageReader.Parse(bytes)).HighestSupported);
    }

    [Fact]
    public void Noop_round_trips_with_version_3()
    {
        var bytes = Write(RemctlMessageWriter.WriteNoop);
        Assert.Equal(new byte[] { 3, 7 }, bytes);
        Assert.Equal(3, Assert.IsType<RemctlNoopMessage>(RemctlMessageReader.Parse(bytes)).Version);
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 2 })]
    public void Short_message_is_bad_token(byte[] bytes)
        => Assert.Equal(RemctlErrorCode.BadToken, Assert.Throws<RemctlProtocolException>(() => RemctlMessageReader.Parse(bytes)).ErrorCode);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(255)]
    public void Unsupported_version_raises_version_exception(byte version)
        => Assert.Equal(version, Assert.Throws<RemctlVersionException>(() => RemctlMessageReader.Parse(new byte[] { version, 1, 1, 0 })).Version);

    [Theory]
    [InlineData(0)]
    [InlineData(8)]
    [InlineData(200)]
    public void Unknown_type_is_unknown_message(byte type)
        => Assert.Equal(RemctlErrorCode.UnknownMessage, Assert.Throws<RemctlProtocolException>(() => RemctlMessageReader.Parse(new byte[] { 2, type })).ErrorCode);

    [Theory]
    [InlineData(new byte[] { 2, 3, 1, 0, 0, 0, 5, 1 })]          // output shorter than declared
    [InlineData(new byte[] { 2, 3, 1, 0, 0, 0, 0, 1 })]          // output longer than declared
    [InlineData(new byte[] { 2, 3, 1, 0, 0 })]                   // output header truncated
    [InlineData(new byte[] { 2, 4 })]                            // status without a byte
    [InlineData(new byte[] { 2, 4, 1, 1 })]                      // status too long
    [InlineData(new byte[] { 2, 5, 0, 0, 0, 1, 0, 0, 0, 9, 1 })] // error shorter than declared
    [InlineData(new byte[] { 2, 5, 0, 0, 0, 1 })]                // error truncated
    [InlineData(new byte[] { 2, 6 })]                            // version without a byte
    public void Malformed_server_messages_are_bad_token(byte[] bytes)
        => Assert.Equal(RemctlErrorCode.BadToken, Assert.Throws<RemctlProtocolException>(() => RemctlMessageReader.Parse(bytes)).ErrorCode);

    [Theory]
    [InlineData(new byte[] { 2, 1 })]       // no flags
    [InlineData(new byte[] { 2, 1, 1 })]    // no continue status
    [InlineData(new byte[] { 2, 1, 2, 0 })] // keep-alive 2
    [InlineData(new byte[] { 2, 1, 1, 4 })] // continue 4
    public void Malformed_command_is_bad_command(byte[] bytes)
        => Assert.Equal(RemctlErrorCode.BadCommand, Assert.Throws<RemctlProtocolException>(() => RemctlMessageReader.Parse(bytes)).ErrorCode);

    [Fact]
    public void Writer_refuses_messages_over_64_KiB()
        => Assert.Throws<ArgumentOutOfRangeException>(() => Write(w => RemctlMessageWriter.WriteOutput(w, 1, new byte[RemctlLimits.MaxOutputChunk + 1])));

    [Fact]
    public void Error_message_text_is_utf8()
    {
        var bytes = Write(w => RemctlMessageWriter.WriteError(w, 1, Encoding.UTF8.GetBytes("é")));
        Assert.Equal("é", ((RemctlErrorMessage)RemctlMessageReader.Parse(bytes)).MessageText);
    }
}
