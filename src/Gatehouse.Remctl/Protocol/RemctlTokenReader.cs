using Gatehouse.Protocol;
using System.Buffers;
using System.Buffers.Binary;

namespace Gatehouse.Remctl.Protocol;

/// <summary>
/// Pure parser for remctl tokens (draft-allbery-remctl section 2.1). No I/O: callers own the PipeReader and
/// pass the positions back to <c>AdvanceTo(consumed, examined)</c>.
/// </summary>
/// <remarks>
/// <code>
///  0        1                               5
/// +--------+--------+--------+--------+--------+------------------------+
/// | flags  |      length (uint32, big-endian)  |  payload (length bytes) |
/// +--------+--------+--------+--------+--------+------------------------+
/// </code>
/// The declared length is checked against <see cref="MaxPayload"/> as soon as the five-octet header is
/// available, before any payload is buffered.
/// </remarks>
public sealed class RemctlTokenReader
{
    /// <summary>Creates a reader that accepts payloads up to <paramref name="maxPayload"/> octets.</summary>
    public RemctlTokenReader(int maxPayload = RemctlLimits.MaxTokenPayload)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPayload);
        MaxPayload = maxPayload;
    }

    /// <summary>Largest payload accepted; larger declared lengths raise <see cref="RemctlErrorCode.BadToken"/>.</summary>
    public int MaxPayload { get; }

    /// <summary>
    /// Tries to parse one token from <paramref name="input"/>. On success <paramref name="consumed"/> and
    /// <paramref name="examined"/> point after the token; otherwise <paramref name="consumed"/> is unchanged
    /// and <paramref name="examined"/> is the end of the input (more data is needed).
    /// </summary>
    /// <exception cref="RemctlProtocolException">The declared length exceeds <see cref="MaxPayload"/>.</exception>
    public bool TryParseMessage(in ReadOnlySequence<byte> input, ref SequencePosition consumed,
        ref SequencePosition examined, out RemctlToken token)
    {
        token = default;
        if (input.Length < RemctlLimits.TokenHeaderSize)
        {
            examined = input.End;
            return false;
        }

        Span<byte> header = stackalloc byte[RemctlLimits.TokenHeaderSize];
        input.Slice(0, RemctlLimits.TokenHeaderSize).CopyTo(header);
        var flags = (RemctlTokenFlags)header[0];
        uint length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        if (length > (uint)MaxPayload)
        {
            throw new RemctlTokenTooLargeException(length, MaxPayload);
        }

        if (input.Length - RemctlLimits.TokenHeaderSize < length)
        {
            examined = input.End;
            return false;
        }

        var payload = input.Slice(RemctlLimits.TokenHeaderSize, length);
        token = new RemctlToken(flags, payload);
        consumed = payload.End;
        examined = consumed;
        return true;
    }
}
