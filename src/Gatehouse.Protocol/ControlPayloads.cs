using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Gatehouse.Protocol;

/// <summary>A decoded GOAWAY (docs/protocol.md section 2.8).</summary>
public readonly record struct GoAway(uint LastStreamId, ErrorCode Code, string Message);

/// <summary>
/// Decoders for the payloads of HELLO, STATUS, WINDOW_UPDATE, CANCEL and GOAWAY. The frame reader
/// has already checked their minimum and fixed sizes; these check everything that remains.
/// </summary>
public static class ControlPayloads
{
    private static readonly UTF8Encoding Utf8 = new(false, false);

    /// <summary>
    /// HELLO: <c>Version (8) | Reserved (8) | Count (16) | { Id (16) Value (32) }*</c>.
    /// Applies the settings to the defaults and validates their ranges.
    /// </summary>
    /// <exception cref="ProtocolException">Wrong version, bad count, or a setting out of range.</exception>
    public static ProtocolSettings ReadHello(ReadOnlySequence<byte> payload)
    {
        var reader = new SequenceReader<byte>(payload);
        reader.TryRead(out byte version);
        reader.Advance(1);
        reader.TryReadBigEndian(out short countRaw);
        int count = (ushort)countRaw;
        if (version != 1)
        {
            ProtocolException.Throw(ErrorCode.ProtocolError, $"Unsupported protocol version {version}; this side speaks 1");
        }

        if (reader.Remaining != count * 6L)
        {
            ProtocolException.Throw(ErrorCode.FrameSizeError, $"HELLO declares {count} settings but carries {reader.Remaining} bytes");
        }

        var settings = ProtocolSettings.Default;
        for (int i = 0; i < count; i++)
        {
            reader.TryReadBigEndian(out short id);
            reader.TryReadBigEndian(out int value);
            settings = settings.With((ushort)id, (uint)value);
        }

        return settings.Validate();
    }

    /// <summary>STATUS: <c>Kind (8) | Code (32) | Message length (16) | Message</c>.</summary>
    /// <exception cref="ProtocolException">Unknown kind or a message length that disagrees with the frame.</exception>
    public static CallStatus ReadStatus(ReadOnlySequence<byte> payload, uint streamId)
    {
        var reader = new SequenceReader<byte>(payload);
        reader.TryRead(out byte kind);
        reader.TryReadBigEndian(out int code);
        reader.TryReadBigEndian(out short lenRaw);
        int len = (ushort)lenRaw;
        if (kind > (byte)StatusKind.Error)
        {
            ProtocolException.Throw(ErrorCode.ProtocolError, $"STATUS on stream {streamId} has unknown kind {kind}");
        }

        if (reader.Remaining != len)
        {
            ProtocolException.Throw(ErrorCode.FrameSizeError, $"STATUS on stream {streamId} declares a {len}-byte message but carries {reader.Remaining}");
        }

        string message = len == 0 ? string.Empty : Utf8.GetString(reader.UnreadSequence);
        return new CallStatus((StatusKind)kind, code, message);
    }

    /// <summary>WINDOW_UPDATE: <c>R | Increment (31)</c>. Returns the increment (0 is the caller's to reject).</summary>
    public static int ReadWindowUpdate(ReadOnlySequence<byte> payload)
    {
        Span<byte> b = stackalloc byte[4];
        payload.CopyTo(b);
        return (int)(BinaryPrimitives.ReadUInt32BigEndian(b) & 0x7FFF_FFFFu);
    }

    /// <summary>CANCEL: <c>Error code (32)</c>.</summary>
    public static ErrorCode ReadCancel(ReadOnlySequence<byte> payload)
    {
        Span<byte> b = stackalloc byte[4];
        payload.CopyTo(b);
        return (ErrorCode)BinaryPrimitives.ReadInt32BigEndian(b);
    }

    /// <summary>PING: eight opaque bytes, returned as a number.</summary>
    public static ulong ReadPing(ReadOnlySequence<byte> payload)
    {
        Span<byte> b = stackalloc byte[8];
        payload.CopyTo(b);
        return BinaryPrimitives.ReadUInt64BigEndian(b);
    }

    /// <summary>GOAWAY: <c>R | Last stream id (31) | Error code (32) | Message length (16) | Message</c>.</summary>
    /// <exception cref="ProtocolException">A message length that disagrees with the frame.</exception>
    public static GoAway ReadGoAway(ReadOnlySequence<byte> payload)
    {
        var reader = new SequenceReader<byte>(payload);
        reader.TryReadBigEndian(out int last);
        reader.TryReadBigEndian(out int code);
        reader.TryReadBigEndian(out short lenRaw);
        int len = (ushort)lenRaw;
        if (reader.Remaining != len)
        {
            ProtocolException.Throw(ErrorCode.FrameSizeError, $"GOAWAY declares a {len}-byte message but carries {reader.Remaining}");
        }

        string message = len == 0 ? string.Empty : Utf8.GetString(reader.UnreadSequence);
        return new GoAway((uint)last & 0x7FFF_FFFFu, (ErrorCode)code, message);
    }
}
