using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Gatehouse.Protocol;

/// <summary>
/// Writes frames into an <see cref="IBufferWriter{T}"/>: one method per frame type, each linked to
/// the section of docs/protocol.md that draws it. Pure: the caller owns the output and its
/// synchronisation (one writer per connection).
/// </summary>
public static class FrameWriter
{
    private const int MaxMessageBytes = ushort.MaxValue;

    /// <summary>Writes the 9-byte frame header (section 2).</summary>
    public static void WriteHeader(Span<byte> destination, int length, FrameType type, FrameFlags flags, uint streamId)
    {
        destination[0] = (byte)(length >> 16);
        destination[1] = (byte)(length >> 8);
        destination[2] = (byte)length;
        destination[3] = (byte)type;
        destination[4] = (byte)flags;
        BinaryPrimitives.WriteUInt32BigEndian(destination[5..], streamId & 0x7FFF_FFFFu);
    }

    /// <summary>HELLO (section 2.1): version 1 and every setting.</summary>
    public static void WriteHello(IBufferWriter<byte> output, ProtocolSettings settings)
    {
        int count = 7 + (settings.FollowsRedirects ? 1 : 0) + (settings.AcceptsIdentityNotices ? 1 : 0); // settings 8 and 9 only when set: older peers' HELLO stays byte for byte
        int length = 4 + (count * 6);
        Span<byte> span = output.GetSpan(FrameHeader.Size + length);
        WriteHeader(span, length, FrameType.Hello, FrameFlags.None, 0);
        span = span[FrameHeader.Size..];
        span[0] = 1;
        span[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)count);
        int pos = 4;
        Setting(span, ref pos, ProtocolSettings.Id.MaxFrameSize, settings.MaxFrameSize);
        Setting(span, ref pos, ProtocolSettings.Id.InitialStreamWindow, settings.InitialStreamWindow);
        Setting(span, ref pos, ProtocolSettings.Id.ConnectionWindow, settings.ConnectionWindow);
        Setting(span, ref pos, ProtocolSettings.Id.MaxConcurrentStreams, settings.MaxConcurrentStreams);
        Setting(span, ref pos, ProtocolSettings.Id.MaxHeaderSize, settings.MaxHeaderSize);
        Setting(span, ref pos, ProtocolSettings.Id.MaxArguments, settings.MaxArguments);
        Setting(span, ref pos, ProtocolSettings.Id.KeepAliveIntervalMs, settings.KeepAliveIntervalMs);
        if (settings.FollowsRedirects)
        {
            Setting(span, ref pos, ProtocolSettings.Id.FollowsRedirects, 1);
        }

        if (settings.AcceptsIdentityNotices)
        {
            Setting(span, ref pos, ProtocolSettings.Id.IdentityNotices, 1);
        }

        output.Advance(FrameHeader.Size + length);

        static void Setting(Span<byte> s, ref int pos, ProtocolSettings.Id id, int value)
        {
            BinaryPrimitives.WriteUInt16BigEndian(s[pos..], (ushort)id);
            BinaryPrimitives.WriteInt32BigEndian(s[(pos + 2)..], value);
            pos += 6;
        }
    }

    /// <summary>
    /// REQUEST (section 2.2): the header block, split into several REQUEST frames when it is larger
    /// than <paramref name="maxFrameSize"/> (the peer's). <paramref name="endStream"/> says no stdin follows.
    /// </summary>
    /// <exception cref="ArgumentException">A name is invalid.</exception>
    public static void WriteRequest(IBufferWriter<byte> output, uint streamId, RequestHeader header, bool endStream, int maxFrameSize)
    {
        int size = RequestHeaderCodec.GetSize(header);
        var flags = endStream ? FrameFlags.EndStream : FrameFlags.None;
        if (size <= maxFrameSize)
        {
            Span<byte> span = output.GetSpan(FrameHeader.Size + size);
            int written = RequestHeaderCodec.Write(header, span[FrameHeader.Size..]);
            WriteHeader(span, written, FrameType.Request, flags | FrameFlags.EndHeaders, streamId);
            output.Advance(FrameHeader.Size + written);
            return;
        }

        byte[] rented = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            int total = RequestHeaderCodec.Write(header, rented);
            int offset = 0;
            while (offset < total)
            {
                int chunk = Math.Min(maxFrameSize, total - offset);
                bool last = offset + chunk == total;
                Span<byte> span = output.GetSpan(FrameHeader.Size + chunk);
                WriteHeader(span, chunk, FrameType.Request, flags | (last ? FrameFlags.EndHeaders : FrameFlags.None), streamId);
                rented.AsSpan(offset, chunk).CopyTo(span[FrameHeader.Size..]);
                output.Advance(FrameHeader.Size + chunk);
                offset += chunk;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>DATA (section 2.3): one frame; the caller has split <paramref name="data"/> to fit the peer's frame size and credit.</summary>
    public static void WriteData(IBufferWriter<byte> output, uint streamId, byte outStream, ReadOnlySpan<byte> data, bool endStream)
    {
        int length = 1 + data.Length;
        Span<byte> span = output.GetSpan(FrameHeader.Size + length);
        WriteHeader(span, length, FrameType.Data, endStream ? FrameFlags.EndStream : FrameFlags.None, streamId);
        span[FrameHeader.Size] = outStream;
        data.CopyTo(span[(FrameHeader.Size + 1)..]);
        output.Advance(FrameHeader.Size + length);
    }

    /// <summary>DATA (section 2.3) from a possibly segmented payload (a relayed frame).</summary>
    public static void WriteData(IBufferWriter<byte> output, uint streamId, byte outStream, in ReadOnlySequence<byte> data, bool endStream)
    {
        if (data.IsSingleSegment)
        {
            WriteData(output, streamId, outStream, data.FirstSpan, endStream);
            return;
        }

        int length = 1 + (int)data.Length;
        Span<byte> span = output.GetSpan(FrameHeader.Size + length);
        WriteHeader(span, length, FrameType.Data, endStream ? FrameFlags.EndStream : FrameFlags.None, streamId);
        span[FrameHeader.Size] = outStream;
        data.CopyTo(span[(FrameHeader.Size + 1)..]);
        output.Advance(FrameHeader.Size + length);
    }

    /// <summary>STATUS (section 2.4). Messages longer than 65,535 UTF-8 bytes are cut.</summary>
    public static void WriteStatus(IBufferWriter<byte> output, uint streamId, in CallStatus status)
    {
        string message = status.Message ?? string.Empty;
        int max = Math.Min(Encoding.UTF8.GetMaxByteCount(message.Length), MaxMessageBytes);
        Span<byte> span = output.GetSpan(FrameHeader.Size + 7 + max);
        Span<byte> body = span[FrameHeader.Size..];
        body[0] = (byte)status.Kind;
        BinaryPrimitives.WriteInt32BigEndian(body[1..], status.Code);
        int n = EncodeMessage(message, body.Slice(7, max));
        BinaryPrimitives.WriteUInt16BigEndian(body[5..], (ushort)n);
        WriteHeader(span, 7 + n, FrameType.Status, FrameFlags.None, streamId);
        output.Advance(FrameHeader.Size + 7 + n);
    }

    /// <summary>WINDOW_UPDATE (section 2.5); stream 0 is the connection.</summary>
    public static void WriteWindowUpdate(IBufferWriter<byte> output, uint streamId, int increment)
    {
        Span<byte> span = output.GetSpan(FrameHeader.Size + 4);
        WriteHeader(span, 4, FrameType.WindowUpdate, FrameFlags.None, streamId);
        BinaryPrimitives.WriteUInt32BigEndian(span[FrameHeader.Size..], (uint)increment & 0x7FFF_FFFFu);
        output.Advance(FrameHeader.Size + 4);
    }

    /// <summary>CANCEL (section 2.6).</summary>
    public static void WriteCancel(IBufferWriter<byte> output, uint streamId, ErrorCode code)
    {
        Span<byte> span = output.GetSpan(FrameHeader.Size + 4);
        WriteHeader(span, 4, FrameType.Cancel, FrameFlags.None, streamId);
        BinaryPrimitives.WriteInt32BigEndian(span[FrameHeader.Size..], (int)code);
        output.Advance(FrameHeader.Size + 4);
    }

    /// <summary>PING (section 2.7); <paramref name="ack"/> marks the answer.</summary>
    public static void WritePing(IBufferWriter<byte> output, ulong opaque, bool ack)
    {
        Span<byte> span = output.GetSpan(FrameHeader.Size + 8);
        WriteHeader(span, 8, FrameType.Ping, ack ? FrameFlags.Ack : FrameFlags.None, 0);
        BinaryPrimitives.WriteUInt64BigEndian(span[FrameHeader.Size..], opaque);
        output.Advance(FrameHeader.Size + 8);
    }

    /// <summary>IDENTITY (section 2.9): an opaque signed successor statement on stream 0.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Empty or larger than <see cref="FrameReader.MaxIdentityNotice"/>.</exception>
    public static void WriteIdentity(IBufferWriter<byte> output, ReadOnlySpan<byte> statement)
    {
        ArgumentOutOfRangeException.ThrowIfZero(statement.Length, nameof(statement));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(statement.Length, FrameReader.MaxIdentityNotice, nameof(statement));
        Span<byte> span = output.GetSpan(FrameHeader.Size + statement.Length);
        WriteHeader(span, statement.Length, FrameType.Identity, FrameFlags.None, 0);
        statement.CopyTo(span[FrameHeader.Size..]);
        output.Advance(FrameHeader.Size + statement.Length);
    }

    /// <summary>GOAWAY (section 2.8).</summary>
    public static void WriteGoAway(IBufferWriter<byte> output, uint lastStreamId, ErrorCode code, string? message)
    {
        message ??= string.Empty;
        int max = Math.Min(Encoding.UTF8.GetMaxByteCount(message.Length), MaxMessageBytes);
        Span<byte> span = output.GetSpan(FrameHeader.Size + 10 + max);
        Span<byte> body = span[FrameHeader.Size..];
        BinaryPrimitives.WriteUInt32BigEndian(body, lastStreamId & 0x7FFF_FFFFu);
        BinaryPrimitives.WriteInt32BigEndian(body[4..], (int)code);
        int n = EncodeMessage(message, body.Slice(10, max));
        BinaryPrimitives.WriteUInt16BigEndian(body[8..], (ushort)n);
        WriteHeader(span, 10 + n, FrameType.GoAway, FrameFlags.None, 0);
        output.Advance(FrameHeader.Size + 10 + n);
    }

    private static int EncodeMessage(string message, Span<byte> destination)
    {
        if (message.Length == 0)
        {
            return 0;
        }

        if (Encoding.UTF8.GetMaxByteCount(message.Length) <= destination.Length)
        {
            return Encoding.UTF8.GetBytes(message, destination);
        }

        // Cut on a character boundary so the message stays valid UTF-8.
        var encoder = Encoding.UTF8.GetEncoder();
        encoder.Convert(message, destination, flush: true, out _, out int bytesUsed, out _);
        return bytesUsed;
    }
}
