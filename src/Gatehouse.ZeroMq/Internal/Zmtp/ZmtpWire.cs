using System.Buffers.Binary;
using System.Text;

namespace Gatehouse.ZeroMq.Internal.Zmtp;

/// <summary>
/// The pieces of ZMTP 3.0 (https://rfc.zeromq.org/spec/23/) a REQ client with the NULL mechanism
/// needs. Pure: builds and checks byte layouts, no I/O.
/// </summary>
/// <remarks>
/// <code>
/// greeting (64 octets) = %xFF 7%x00 %x01 %x7F   signature (10)
///                        %x03 %x00              version 3.0
///                        "NULL" 16%x00          mechanism (20)
///                        %x00                   as-server
///                        31%x00                 filler
/// frame                = flags size body
/// flags                = bit0 MORE, bit1 LONG (8-octet big-endian size, else 1 octet), bit2 COMMAND
/// command body         = name-size(1) name *( prop-name-size(1) prop-name prop-value-size(4, BE) prop-value )
/// REQ message          = empty delimiter frame (MORE) then the parts; the REP reply mirrors it
/// </code>
/// </remarks>
internal static class ZmtpWire
{
    public const int GreetingLength = 64;
    public const byte FlagMore = 0x01;
    public const byte FlagLong = 0x02;
    public const byte FlagCommand = 0x04;

    /// <summary>Largest command frame we accept from a peer (READY, ERROR, PING carry little).</summary>
    public const int MaxCommandSize = 64 * 1024;

    /// <summary>Our greeting: ZMTP 3.0, NULL mechanism, client side.</summary>
    public static byte[] Greeting()
    {
        var greeting = new byte[GreetingLength];
        greeting[0] = 0xFF;
        greeting[8] = 0x01;
        greeting[9] = 0x7F;
        greeting[10] = 3;
        greeting[11] = 0;
        "NULL"u8.CopyTo(greeting.AsSpan(12));
        return greeting;
    }

    /// <summary>Checks a peer greeting; returns null when acceptable, else what is wrong.</summary>
    public static string? CheckGreeting(ReadOnlySpan<byte> greeting)
    {
        if (greeting.Length != GreetingLength || greeting[0] != 0xFF || greeting[9] != 0x7F)
        {
            return "the peer did not send a ZMTP greeting";
        }

        if (greeting[10] < 3)
        {
            return $"the peer speaks ZMTP {greeting[10]}.x; 3.0 or later is required";
        }

        var mechanism = greeting.Slice(12, 20).TrimEnd((byte)0);
        if (!mechanism.SequenceEqual("NULL"u8))
        {
            return $"the peer requires the {Encoding.ASCII.GetString(mechanism)} security mechanism; only NULL is supported";
        }

        return null;
    }

    /// <summary>The READY command frame announcing <paramref name="socketType"/>.</summary>
    public static byte[] ReadyCommand(string socketType)
    {
        var body = new List<byte>(32) { 5 };
        body.AddRange("READY"u8.ToArray());
        AddProperty(body, "Socket-Type", Encoding.ASCII.GetBytes(socketType));
        var frame = new byte[2 + body.Count];
        frame[0] = FlagCommand;
        frame[1] = (byte)body.Count;
        body.CopyTo(frame, 2);
        return frame;
    }

    /// <summary>
    /// Parses a command body: its name, and the Socket-Type property when present. Returns false
    /// when the body is malformed.
    /// </summary>
    public static bool TryParseCommand(ReadOnlySpan<byte> body, out string name, out string? socketType, out string? errorReason)
    {
        name = string.Empty;
        socketType = null;
        errorReason = null;
        if (body.IsEmpty || body[0] == 0 || body[0] > body.Length - 1)
        {
            return false;
        }

        name = Encoding.ASCII.GetString(body.Slice(1, body[0]));
        var rest = body[(1 + body[0])..];
        if (name == "ERROR")
        {
            // ERROR: reason-size(1) reason
            errorReason = rest.IsEmpty || rest[0] > rest.Length - 1 ? string.Empty : Encoding.UTF8.GetString(rest.Slice(1, rest[0]));
            return true;
        }

        if (name != "READY")
        {
            return true;
        }

        while (!rest.IsEmpty)
        {
            var nameSize = rest[0];
            if (nameSize == 0 || rest.Length < 1 + nameSize + 4)
            {
                return false;
            }

            var propName = rest.Slice(1, nameSize);
            var valueSize = BinaryPrimitives.ReadUInt32BigEndian(rest.Slice(1 + nameSize, 4));
            if (valueSize > (uint)(rest.Length - 1 - nameSize - 4))
            {
                return false;
            }

            var value = rest.Slice(1 + nameSize + 4, (int)valueSize);
            if (Ascii.EqualsIgnoreCase(propName, "Socket-Type"u8))
            {
                socketType = Encoding.ASCII.GetString(value);
            }

            rest = rest[(1 + nameSize + 4 + (int)valueSize)..];
        }

        return true;
    }

    /// <summary>Encodes a whole REQ message: the empty delimiter, then each part with MORE on all but the last.</summary>
    public static byte[] EncodeRequest(byte[][] parts)
    {
        var total = 2L;
        foreach (var part in parts)
        {
            total += (part.Length > byte.MaxValue ? 9 : 2) + part.Length;
        }

        var buffer = new byte[total];
        buffer[0] = parts.Length == 0 ? (byte)0 : FlagMore;
        buffer[1] = 0;
        var offset = 2;
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            var flags = i < parts.Length - 1 ? FlagMore : (byte)0;
            if (part.Length > byte.MaxValue)
            {
                buffer[offset++] = (byte)(flags | FlagLong);
                BinaryPrimitives.WriteUInt64BigEndian(buffer.AsSpan(offset), (ulong)part.Length);
                offset += 8;
            }
            else
            {
                buffer[offset++] = flags;
                buffer[offset++] = (byte)part.Length;
            }

            part.CopyTo(buffer, offset);
            offset += part.Length;
        }

        return buffer;
    }

    private static void AddProperty(List<byte> body, string name, byte[] value)
    {
        body.Add((byte)name.Length);
        body.AddRange(Encoding.ASCII.GetBytes(name));
        Span<byte> size = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(size, (uint)value.Length);
        body.AddRange(size.ToArray());
        body.AddRange(value);
    }
}
