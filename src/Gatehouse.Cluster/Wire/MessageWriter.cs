using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gatehouse.Cluster.Wire;

/// <summary>
/// Encodes membership messages (docs/protocol.md, section 8): one method computes a message's size,
/// one writes it. Pure. Values that cannot be encoded (an id longer than 64 bytes, metadata over the
/// limit) are the caller's bug and throw <see cref="ArgumentException"/>.
/// </summary>
public static class MessageWriter
{
    /// <summary>Bytes <paramref name="message"/> takes on the wire.</summary>
    public static int SizeOf(SwimMessage message) => message switch
    {
        PingMessage p => 1 + 4 + IdSize(p.TargetId),
        IndirectPingMessage ip => 1 + 4 + 1 + IdSize(ip.TargetId) + AddressSize(ip.TargetAddress),
        AckMessage => 1 + 4,
        NackMessage => 1 + 4,
        AliveMessage a => 1 + 4 + IdSize(a.MemberId) + AddressSize(a.Address) + 2 + MetadataSize(a.Metadata),
        SuspectMessage s => 1 + 4 + IdSize(s.MemberId) + IdSize(s.FromId),
        DeadMessage d => 1 + 4 + IdSize(d.MemberId) + IdSize(d.FromId),
        LeaveMessage l => 1 + 4 + IdSize(l.MemberId),
        _ => throw new ArgumentException($"unknown message {message.GetType().Name}", nameof(message)),
    };

    /// <summary>Writes <paramref name="message"/> at the start of <paramref name="destination"/>.</summary>
    /// <returns>Bytes written (<see cref="SizeOf"/>).</returns>
    public static int Write(SwimMessage message, Span<byte> destination)
    {
        int size = SizeOf(message);
        if (destination.Length < size)
        {
            throw new ArgumentException($"{size} bytes needed, {destination.Length} available", nameof(destination));
        }

        destination[0] = (byte)message.Type;
        Span<byte> d = destination[1..];
        switch (message)
        {
            case PingMessage p:
                d = U32(d, p.Sequence);
                Id(d, p.TargetId);
                break;
            case IndirectPingMessage ip:
                d = U32(d, ip.Sequence);
                d[0] = (byte)ip.Flags;
                d = Id(d[1..], ip.TargetId);
                Address(d, ip.TargetAddress);
                break;
            case AckMessage a:
                U32(d, a.Sequence);
                break;
            case NackMessage n:
                U32(d, n.Sequence);
                break;
            case AliveMessage a:
                d = U32(d, a.Incarnation);
                d = Id(d, a.MemberId);
                d = Address(d, a.Address);
                BinaryPrimitives.WriteUInt16BigEndian(d, (ushort)a.Metadata.Length);
                a.Metadata.Span.CopyTo(d[2..]);
                break;
            case SuspectMessage s:
                d = U32(d, s.Incarnation);
                d = Id(d, s.MemberId);
                Id(d, s.FromId);
                break;
            case DeadMessage x:
                d = U32(d, x.Incarnation);
                d = Id(d, x.MemberId);
                Id(d, x.FromId);
                break;
            case LeaveMessage l:
                d = U32(d, l.Incarnation);
                Id(d, l.MemberId);
                break;
        }

        return size;
    }

    /// <summary>
    /// Writes <paramref name="messages"/> as a body: the message alone when there is one, else a
    /// compound. The caller made sure they fit (<see cref="BodySize"/>).
    /// </summary>
    public static int WriteBody(IReadOnlyList<SwimMessage> messages, Span<byte> destination)
    {
        if (messages.Count == 0 || messages.Count > WireLimits.MaxCompoundParts)
        {
            throw new ArgumentOutOfRangeException(nameof(messages), messages.Count, $"a body holds 1 to {WireLimits.MaxCompoundParts} messages");
        }

        if (messages.Count == 1)
        {
            return Write(messages[0], destination);
        }

        destination[0] = (byte)MessageType.Compound;
        destination[1] = (byte)messages.Count;
        int offset = WireLimits.CompoundHeaderBytes;
        foreach (SwimMessage m in messages)
        {
            int written = Write(m, destination[(offset + WireLimits.CompoundPartOverhead)..]);
            BinaryPrimitives.WriteUInt16BigEndian(destination[offset..], (ushort)written);
            offset += WireLimits.CompoundPartOverhead + written;
        }

        return offset;
    }

    /// <summary>Size of a body holding messages whose sizes sum to <paramref name="sumOfSizes"/>.</summary>
    public static int BodySize(int count, int sumOfSizes) =>
        count <= 1 ? sumOfSizes : WireLimits.CompoundHeaderBytes + (count * WireLimits.CompoundPartOverhead) + sumOfSizes;

    /// <summary>Bytes a member id takes on the wire (length byte included); throws when it is not a valid id.</summary>
    public static int IdSize(string id)
    {
        int bytes = Encoding.UTF8.GetByteCount(id);
        if (bytes is 0 or > WireLimits.MaxMemberIdBytes)
        {
            throw new ArgumentException($"a member id is 1 to {WireLimits.MaxMemberIdBytes} UTF-8 bytes; this one is {bytes}", nameof(id));
        }

        return 1 + bytes;
    }

    private static int AddressSize(IPEndPoint address) => address.AddressFamily switch
    {
        AddressFamily.InterNetwork => 1 + 4 + 2,
        AddressFamily.InterNetworkV6 => 1 + 16 + 2,
        _ => throw new ArgumentException($"address family {address.AddressFamily} cannot be gossiped", nameof(address)),
    };

    private static int MetadataSize(ReadOnlyMemory<byte> metadata) => metadata.Length <= WireLimits.MaxMetadataBytes
        ? metadata.Length
        : throw new ArgumentException($"metadata of {metadata.Length} bytes exceeds {WireLimits.MaxMetadataBytes}", nameof(metadata));

    private static Span<byte> U32(Span<byte> d, uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(d, value);
        return d[4..];
    }

    private static Span<byte> Id(Span<byte> d, string id)
    {
        int n = Encoding.UTF8.GetBytes(id, d[1..]);
        d[0] = (byte)n;
        return d[(1 + n)..];
    }

    private static Span<byte> Address(Span<byte> d, IPEndPoint address)
    {
        bool v4 = address.AddressFamily == AddressFamily.InterNetwork;
        d[0] = v4 ? (byte)4 : (byte)6;
        int n = v4 ? 4 : 16;
        if (!address.Address.TryWriteBytes(d.Slice(1, n), out _))
        {
            throw new ArgumentException("address did not fit", nameof(address));
        }

        BinaryPrimitives.WriteUInt16BigEndian(d[(1 + n)..], (ushort)address.Port);
        return d[(1 + n + 2)..];
    }
}
