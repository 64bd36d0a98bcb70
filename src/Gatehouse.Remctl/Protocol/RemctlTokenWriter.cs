using System.Buffers;
using System.Buffers.Binary;

namespace Gatehouse.Remctl.Protocol;

/// <summary>Writes remctl tokens to an <see cref="IBufferWriter{T}"/> (draft-allbery-remctl section 2.1).</summary>
public static class RemctlTokenWriter
{
    /// <summary>
    /// Writes <c>flags(1) length(4, big-endian) payload</c>.
    /// <code>
    /// +--------+-----------------------------------+------------------------+
    /// | flags  |   length (uint32, big-endian)     |  payload (length bytes) |
    /// +--------+-----------------------------------+------------------------+
    /// </code>
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The payload exceeds <see cref="RemctlLimits.MaxTokenPayload"/>.</exception>
    public static void WriteToken(IBufferWriter<byte> writer, RemctlTokenFlags flags, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(payload.Length, RemctlLimits.MaxTokenPayload);
        var span = writer.GetSpan(RemctlLimits.TokenHeaderSize + payload.Length);
        span[0] = (byte)flags;
        BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)payload.Length);
        payload.CopyTo(span[RemctlLimits.TokenHeaderSize..]);
        writer.Advance(RemctlLimits.TokenHeaderSize + payload.Length);
    }
}
