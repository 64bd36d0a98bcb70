using System.Buffers;
using System.Buffers.Binary;

namespace Gatehouse.Remctl.Protocol;

/// <summary>
/// Writes remctl messages (plaintext, before gss_wrap) to an <see cref="IBufferWriter{T}"/>; one method per
/// message type (draft-allbery-remctl section 3). Each message written must stay within
/// <see cref="RemctlLimits.MaxMessage"/>; the methods check it.
/// </summary>
public static class RemctlMessageWriter
{
    /// <summary>Protocol version stamped on every message except MESSAGE_NOOP.</summary>
    public const byte DefaultVersion = 2;

    /// <summary>
    /// MESSAGE_COMMAND chunk (section 3.2):
    /// <code>
    /// | 2 | 1 | keep-alive(1) | continue(1) | data (slice of argc(4) (length(4) arg)*) |
    /// </code>
    /// </summary>
    public static void WriteCommand(IBufferWriter<byte> writer, bool keepAlive, RemctlContinueStatus status, ReadOnlySpan<byte> data)
    {
        CheckSize(4 + data.Length);
        var span = writer.GetSpan(4 + data.Length);
        span[0] = DefaultVersion;
        span[1] = (byte)RemctlMessageType.Command;
        span[2] = keepAlive ? (byte)1 : (byte)0;
        span[3] = (byte)status;
        data.CopyTo(span[4..]);
        writer.Advance(4 + data.Length);
    }

    /// <summary>MESSAGE_QUIT (section 3.6): <c>| 2 | 2 |</c>.</summary>
    public static void WriteQuit(IBufferWriter<byte> writer) => WriteHeaderOnly(writer, DefaultVersion, RemctlMessageType.Quit);

    /// <summary>
    /// MESSAGE_OUTPUT (section 3.3):
    /// <code>
    /// | 2 | 3 | stream(1) | length(4, big-endian) | output |
    /// </code>
    /// </summary>
    public static void WriteOutput(IBufferWriter<byte> writer, byte stream, ReadOnlySpan<byte> data)
    {
        CheckSize(7 + data.Length);
        var span = writer.GetSpan(7 + data.Length);
        span[0] = DefaultVersion;
        span[1] = (byte)RemctlMessageType.Output;
        span[2] = stream;
        BinaryPrimitives.WriteUInt32BigEndian(span[3..], (uint)data.Length);
        data.CopyTo(span[7..]);
        writer.Advance(7 + data.Length);
    }

    /// <summary>MESSAGE_STATUS (section 3.4): <c>| 2 | 4 | exit status(1) |</c>.</summary>
    public static void WriteStatus(IBufferWriter<byte> writer, byte exitStatus)
    {
        var span = writer.GetSpan(3);
        span[0] = DefaultVersion;
        span[1] = (byte)RemctlMessageType.Status;
        span[2] = exitStatus;
        writer.Advance(3);
    }

    /// <summary>
    /// MESSAGE_ERROR (section 3.4):
    /// <code>
    /// | 2 | 5 | code(4, big-endian) | length(4, big-endian) | message |
    /// </code>
    /// </summary>
    public static void WriteError(IBufferWriter<byte> writer, int code, ReadOnlySpan<byte> message)
    {
        CheckSize(10 + message.Length);
        var span = writer.GetSpan(10 + message.Length);
        span[0] = DefaultVersion;
        span[1] = (byte)RemctlMessageType.Error;
        BinaryPrimitives.WriteInt32BigEndian(span[2..], code);
        BinaryPrimitives.WriteUInt32BigEndian(span[6..], (uint)message.Length);
        message.CopyTo(span[10..]);
        writer.Advance(10 + message.Length);
    }

    /// <summary>MESSAGE_VERSION (section 3.1): <c>| 2 | 6 | highest supported(1) |</c>.</summary>
    public static void WriteVersion(IBufferWriter<byte> writer, byte highestSupported = RemctlLimits.HighestVersion)
    {
        var span = writer.GetSpan(3);
        span[0] = DefaultVersion;
        span[1] = (byte)RemctlMessageType.Version;
        span[2] = highestSupported;
        writer.Advance(3);
    }

    /// <summary>MESSAGE_NOOP (section 3.7): <c>| 3 | 7 |</c>.</summary>
    public static void WriteNoop(IBufferWriter<byte> writer) => WriteHeaderOnly(writer, 3, RemctlMessageType.Noop);

    private static void WriteHeaderOnly(IBufferWriter<byte> writer, byte version, RemctlMessageType type)
    {
        var span = writer.GetSpan(2);
        span[0] = version;
        span[1] = (byte)type;
        writer.Advance(2);
    }

    private static void CheckSize(int size)
    {
        if (size > RemctlLimits.MaxMessage)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, $"A remctl message may not exceed {RemctlLimits.MaxMessage} bytes");
        }
    }
}
