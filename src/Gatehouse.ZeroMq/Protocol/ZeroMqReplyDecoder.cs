using System.Diagnostics.CodeAnalysis;

namespace Gatehouse.ZeroMq.Protocol;

/// <summary>Decodes a whole seed-004 reply held as a list of parts. Pure: no I/O.</summary>
public static class ZeroMqReplyDecoder
{
    /// <summary>
    /// Decodes <paramref name="parts"/>. Returns <see langword="true"/> and the reply, or
    /// <see langword="false"/> and the first violation; never throws for malformed input.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="parts"/> is null.</exception>
    public static bool TryDecode(
        IReadOnlyList<ReadOnlyMemory<byte>> parts,
        ZeroMqReplyLimits? limits,
        [NotNullWhen(true)] out ZeroMqReply? reply,
        [NotNullWhen(false)] out ZeroMqProtocolError? error)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var reader = new ZeroMqReplyReader(limits);
        foreach (var part in parts)
        {
            if (!reader.Add(part))
            {
                break;
            }
        }

        return reader.TryComplete(out reply, out error);
    }

    /// <summary>Decodes <paramref name="parts"/> and returns the reply.</summary>
    /// <exception cref="ZeroMqProtocolException">The reply is malformed; <see cref="ZeroMqProtocolException.Error"/> says how.</exception>
    public static ZeroMqReply Decode(IReadOnlyList<ReadOnlyMemory<byte>> parts, ZeroMqReplyLimits? limits = null)
    {
        if (TryDecode(parts, limits, out var reply, out var error))
        {
            return reply;
        }

        throw new ZeroMqProtocolException(error);
    }
}
