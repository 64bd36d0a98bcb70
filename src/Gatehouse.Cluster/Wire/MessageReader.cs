using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Gatehouse.Cluster.Wire;

/// <summary>
/// Decodes the plaintext body of a membership datagram (docs/protocol.md, section 8). Pure: no I/O,
/// no exceptions. Every length is checked against what is left and against its limit before it is
/// used; any violation returns a <see cref="DatagramError"/> and decodes nothing further.
/// </summary>
public static class MessageReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Decodes <paramref name="body"/>: one message, or a compound of several. Messages decoded
    /// before an error stay in <paramref name="into"/>; callers drop the whole datagram on error.
    /// </summary>
    /// <returns><see cref="DatagramError.None"/> when every byte decoded.</returns>
    public static DatagramError Read(ReadOnlySpan<byte> body, List<SwimMessage> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        if (body.IsEmpty)
        {
            return DatagramError.Empty;
        }

        if (body.Length > WireLimits.MaxDatagramBytes)
        {
            return DatagramError.TooLarge;
        }

        if (body[0] != (byte)MessageType.Compound)
        {
            return ReadOne(body, into);
        }

        // +------+-------+---------------+---------+-----+
        // | 0x09 | count | length (u16)  | message | ... |   count >= 1, no compound inside
        // +------+-------+---------------+---------+-----+
        if (body.Length < WireLimits.CompoundHeaderBytes)
        {
            return DatagramError.Truncated;
        }

        int count = body[1];
        if (count == 0)
        {
            return DatagramError.CompoundEmpty;
        }

        ReadOnlySpan<byte> rest = body[WireLimits.CompoundHeaderBytes..];
        for (int i = 0; i < count; i++)
        {
            if (rest.Length < WireLimits.CompoundPartOverhead)
            {
                return DatagramError.Truncated;
            }

            int length = BinaryPrimitives.ReadUInt16BigEndian(rest);
            rest = rest[WireLimits.CompoundPartOverhead..];
            if (length > rest.Length)
            {
                return DatagramError.Truncated;
            }

            ReadOnlySpan<byte> part = rest[..length];
            if (part.IsEmpty)
            {
                return DatagramError.Truncated;
            }

            if (part[0] == (byte)MessageType.Compound)
            {
                return DatagramError.NestedCompound;
            }

            DatagramError error = ReadOne(part, into);
            if (error != DatagramError.None)
            {
                return error;
            }

            rest = rest[length..];
        }

        return rest.IsEmpty ? DatagramError.None : DatagramError.TrailingBytes;
    }

    private static DatagramError ReadOne(ReadOnlySpan<byte> span, List<SwimMessage> into)
    {
        var r = new SpanCursor(span[1..]);
        SwimMessage? message = null;
        DatagramError error;
        switch ((MessageType)span[0])
        {
            case MessageType.Ping:
                error = ReadPing(ref r, out message);
                break;
            case MessageType.IndirectPing:
                error = ReadIndirectPing(ref r, out message);
                break;
            case MessageType.Ack:
                error = r.TryU32(out uint ackSeq) ? DatagramError.None : DatagramError.Truncated;
                message = error == DatagramError.None ? new AckMessage(ackSeq) : null;
                break;
            case MessageType.Nack:
                error = r.TryU32(out uint nackSeq) ? DatagramError.None : DatagramError.Truncated;
                message = error == DatagramError.None ? new NackMessage(nackSeq) : null;
                break;
            case MessageType.Alive:
                error = ReadAlive(ref r, out message);
                break;
            case MessageType.Suspect:
            case MessageType.Dead:
                error = ReadAccusation(ref r, (MessageType)span[0], out message);
                break;
            case MessageType.Leave:
                error = ReadLeave(ref r, out message);
                break;
            default:
                return DatagramError.UnknownType;
        }

        if (error != DatagramError.None)
        {
            return error;
        }

        if (!r.IsEmpty)
        {
            return DatagramError.TrailingBytes;
        }

        into.Add(message!);
        return DatagramError.None;
    }

    // Ping: seq:u32 target:id
    private static DatagramError ReadPing(ref SpanCursor r, out SwimMessage? message) =>
        ReadU32AndId(ref r, static (seq, target) => new PingMessage(seq, target), out message);

    // IndirectPing: seq:u32 flags:u8 target:id address
    private static DatagramError ReadIndirectPing(ref SpanCursor r, out SwimMessage? message)
    {
        message = null;
        if (!r.TryU32(out uint seq) || !r.TryU8(out byte flags))
        {
            return DatagramError.Truncated;
        }

        if ((flags & ~(byte)IndirectPingFlags.WantNack) != 0)
        {
            return DatagramError.UnknownFlags;
        }

        DatagramError e = ReadId(ref r, out string? target);
        if (e != DatagramError.None)
        {
            return e;
        }

        e = ReadAddress(ref r, out IPEndPoint? address);
        if (e == DatagramError.None)
        {
            message = new IndirectPingMessage(seq, (IndirectPingFlags)flags, target!, address!);
        }

        return e;
    }

    // Alive: incarnation:u32 member:id address metaLength:u16 meta
    private static DatagramError ReadAlive(ref SpanCursor r, out SwimMessage? message)
    {
        message = null;
        if (!r.TryU32(out uint incarnation))
        {
            return DatagramError.Truncated;
        }

        DatagramError e = ReadId(ref r, out string? member);
        if (e != DatagramError.None)
        {
            return e;
        }

        e = ReadAddress(ref r, out IPEndPoint? address);
        if (e != DatagramError.None)
        {
            return e;
        }

        if (!r.TryU16(out ushort metaLength))
        {
            return DatagramError.Truncated;
        }

        if (metaLength > WireLimits.MaxMetadataBytes)
        {
            return DatagramError.MetadataTooLarge;
        }

        if (!r.TryTake(metaLength, out ReadOnlySpan<byte> meta))
        {
            return DatagramError.Truncated;
        }

        message = new AliveMessage(incarnation, member!, address!, meta.ToArray());
        return DatagramError.None;
    }

    // Suspect, Dead: incarnation:u32 member:id from:id
    private static DatagramError ReadAccusation(ref SpanCursor r, MessageType type, out SwimMessage? message)
    {
        message = null;
        if (!r.TryU32(out uint incarnation))
        {
            return DatagramError.Truncated;
        }

        DatagramError e = ReadId(ref r, out string? member);
        if (e != DatagramError.None)
        {
            return e;
        }

        e = ReadId(ref r, out string? from);
        if (e != DatagramError.None)
        {
            return e;
        }

        message = type == MessageType.Suspect
            ? new SuspectMessage(incarnation, member!, from!)
            : new DeadMessage(incarnation, member!, from!);
        return DatagramError.None;
    }

    // Leave: incarnation:u32 member:id
    private static DatagramError ReadLeave(ref SpanCursor r, out SwimMessage? message) =>
        ReadU32AndId(ref r, static (incarnation, member) => new LeaveMessage(incarnation, member), out message);

    /// <summary>The shape Ping and Leave share: a u32 then an id.</summary>
    private static DatagramError ReadU32AndId(ref SpanCursor r, Func<uint, string, SwimMessage> make, out SwimMessage? message)
    {
        message = null;
        if (!r.TryU32(out uint value))
        {
            return DatagramError.Truncated;
        }

        DatagramError e = ReadId(ref r, out string? id);
        if (e == DatagramError.None)
        {
            message = make(value, id!);
        }

        return e;
    }

    /// <summary>Reads an id: length:u8 (1..64) then that many bytes of UTF-8.</summary>
    internal static DatagramError ReadId(ref SpanCursor r, out string? id)
    {
        id = null;
        if (!r.TryU8(out byte length))
        {
            return DatagramError.Truncated;
        }

        if (length is 0 or > WireLimits.MaxMemberIdBytes)
        {
            return DatagramError.MemberIdLength;
        }

        if (!r.TryTake(length, out ReadOnlySpan<byte> bytes))
        {
            return DatagramError.Truncated;
        }

        return TryDecodeId(bytes, out id) ? DatagramError.None : DatagramError.MemberIdEncoding;
    }

    /// <summary>Decodes id bytes as strict UTF-8; false on invalid bytes.</summary>
    internal static bool TryDecodeId(ReadOnlySpan<byte> bytes, out string? id)
    {
        try
        {
            id = StrictUtf8.GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            // Invalid UTF-8 from the wire: reported as a typed error by the caller.
            id = null;
            return false;
        }
    }

    // address: family:u8 (4 | 6) bytes (4 | 16) port:u16
    private static DatagramError ReadAddress(ref SpanCursor r, out IPEndPoint? address)
    {
        address = null;
        if (!r.TryU8(out byte family))
        {
            return DatagramError.Truncated;
        }

        int length = family switch { 4 => 4, 6 => 16, _ => -1 };
        if (length < 0)
        {
            return DatagramError.AddressFamily;
        }

        if (!r.TryTake(length, out ReadOnlySpan<byte> bytes) || !r.TryU16(out ushort port))
        {
            return DatagramError.Truncated;
        }

        address = new IPEndPoint(new IPAddress(bytes), port);
        return DatagramError.None;
    }
}
