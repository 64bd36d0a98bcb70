using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Gatehouse.Protocol;

/// <summary>
/// Finds whole frames in a byte sequence. Pure: no I/O, no allocation. The caller owns the
/// <c>PipeReader</c> and advances it to <c>buffer.Start</c> after each call (consumed) and to the
/// end (examined) when this returns false.
/// </summary>
public static class FrameReader
{
    /// <summary>
    /// Tries to read one frame from the front of <paramref name="buffer"/>. On success the frame is
    /// sliced off the front, <paramref name="payload"/> refers to its payload inside the original
    /// buffer, and the header has passed every check that needs no connection state (known type,
    /// stream id 0 or not as the type requires, fixed payload sizes). The declared length is checked
    /// against <paramref name="maxFrameSize"/> as soon as the header is complete, before any payload
    /// is waited for.
    /// </summary>
    /// <returns>False when more bytes are needed.</returns>
    /// <exception cref="ProtocolException">The frame breaks docs/protocol.md (connection error).</exception>
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, int maxFrameSize, out FrameHeader header, out ReadOnlySequence<byte> payload)
    {
        payload = default;
        header = default;
        if (buffer.Length < FrameHeader.Size)
        {
            return false;
        }

        ReadOnlySpan<byte> raw = ReadHeaderBytes(buffer, stackalloc byte[FrameHeader.Size]);

        int length = (raw[0] << 16) | (raw[1] << 8) | raw[2];
        byte type = raw[3];
        var flags = (FrameFlags)raw[4];
        uint streamId = BinaryPrimitives.ReadUInt32BigEndian(raw[5..]) & 0x7FFF_FFFFu;

        if (length > maxFrameSize)
        {
            ThrowFrameTooLarge(length, maxFrameSize);
        }

        if (type > (byte)FrameType.Identity)
        {
            ThrowUnknownType(type);
        }

        header = new FrameHeader(length, (FrameType)type, flags, streamId);
        Validate(header);

        if (buffer.Length < FrameHeader.Size + length)
        {
            return false;
        }

        payload = buffer.Slice(FrameHeader.Size, length);
        buffer = buffer.Slice(payload.End);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ReadOnlySpan<byte> ReadHeaderBytes(in ReadOnlySequence<byte> buffer, Span<byte> scratch)
    {
        ReadOnlySpan<byte> first = buffer.FirstSpan;
        if (first.Length >= FrameHeader.Size)
        {
            return first[..FrameHeader.Size];
        }

        buffer.Slice(0, FrameHeader.Size).CopyTo(scratch);
        return scratch;
    }

    private static void Validate(in FrameHeader h)
    {
        switch (h.Type)
        {
            case FrameType.Hello:
            case FrameType.Ping:
            case FrameType.GoAway:
            case FrameType.Identity:
                if (h.StreamId != 0)
                {
                    ProtocolException.Throw(ErrorCode.ProtocolError, $"{h.Type} frame on stream {h.StreamId}; it belongs on stream 0");
                }

                break;
            case FrameType.Request:
            case FrameType.Data:
            case FrameType.Status:
            case FrameType.Cancel:
                if (h.StreamId == 0)
                {
                    ProtocolException.Throw(ErrorCode.ProtocolError, $"{h.Type} frame on stream 0");
                }

                break;
        }

        int expected = h.Type switch
        {
            FrameType.WindowUpdate => 4,
            FrameType.Cancel => 4,
            FrameType.Ping => 8,
            _ => -1,
        };
        if (expected >= 0 && h.Length != expected)
        {
            ProtocolException.Throw(ErrorCode.FrameSizeError, $"{h.Type} frame has {h.Length} payload bytes; it must have {expected}");
        }

        if (h.Type == FrameType.Data && h.Length < 1)
        {
            ProtocolException.Throw(ErrorCode.FrameSizeError, "DATA frame without its output stream byte");
        }

        if (h.Type == FrameType.Status && h.Length < 7)
        {
            ProtocolException.Throw(ErrorCode.FrameSizeError, $"STATUS frame has {h.Length} payload bytes; it needs at least 7");
        }

        if (h.Type == FrameType.GoAway && h.Length < 10)
        {
            ProtocolException.Throw(ErrorCode.FrameSizeError, $"GOAWAY frame has {h.Length} payload bytes; it needs at least 10");
        }

        if (h.Type == FrameType.Identity && h.Length is < 1 or > MaxIdentityNotice)
        {
            ProtocolException.Throw(ErrorCode.FrameSizeError, $"IDENTITY frame has {h.Length} payload bytes; it must have 1 to {MaxIdentityNotice}");
        }

        if (h.Type == FrameType.Hello && h.Length < 4)
        {
            ProtocolException.Throw(ErrorCode.FrameSizeError, $"HELLO frame has {h.Length} payload bytes; it needs at least 4");
        }
    }

    /// <summary>Largest IDENTITY payload (section 2.9): a signed successor statement is well under 1 KiB.</summary>
    public const int MaxIdentityNotice = 8_192;

    private static void ThrowFrameTooLarge(int length, int max) =>
        ProtocolException.Throw(ErrorCode.FrameSizeError, $"Frame of {length} bytes exceeds MAX_FRAME_SIZE {max}");

    private static void ThrowUnknownType(byte type) =>
        ProtocolException.Throw(ErrorCode.ProtocolError, $"Unknown frame type 0x{type:x2}");
}
