using Gatehouse.Protocol;
using System.Buffers.Binary;

namespace Gatehouse.Remctl.Protocol;

/// <summary>
/// Pure parser for remctl messages, the plaintext of a data token (draft-allbery-remctl section 3).
/// A message is always complete (one unwrapped token), so it parses from memory, not from a stream.
/// </summary>
public static class RemctlMessageReader
{
    /// <summary>
    /// Parses one message. The returned message's memory aliases <paramref name="payload"/>.
    /// <code>
    /// +---------+---------+----------------------------+
    /// | version | type    | type-specific data         |
    /// +---------+---------+----------------------------+
    /// </code>
    /// </summary>
    /// <exception cref="RemctlVersionException">The version is not 2 or 3 (a server replies MESSAGE_VERSION).</exception>
    /// <exception cref="RemctlProtocolException">Malformed message; the code says which remctl error applies.</exception>
    public static RemctlMessage Parse(ReadOnlyMemory<byte> payload)
    {
        var span = payload.Span;
        if (span.Length < 2)
        {
            return ThrowHelper.Protocol<RemctlMessage>(RemctlErrorCode.BadToken, "Message shorter than its header");
        }

        byte version = span[0];
        if (version is < 2 or > RemctlLimits.HighestVersion)
        {
            ThrowHelper.Version(version);
        }

        var type = (RemctlMessageType)span[1];
        var body = payload[2..];
        return type switch
        {
            RemctlMessageType.Command => ParseCommand(version, body),
            RemctlMessageType.Quit => new RemctlQuitMessage(version),
            RemctlMessageType.Output => ParseOutput(version, body),
            RemctlMessageType.Status => ParseStatus(version, body),
            RemctlMessageType.Error => ParseError(version, body),
            RemctlMessageType.Version => ParseVersion(version, body),
            RemctlMessageType.Noop => new RemctlNoopMessage(version),
            _ => ThrowHelper.Protocol<RemctlMessage>(RemctlErrorCode.UnknownMessage, RemctlErrorMessages.UnknownMessage),
        };
    }

    // MESSAGE_COMMAND
    // +------------+----------+------------------------------------------------+
    // | keep-alive | continue | data: a slice of argc(4) (length(4) argument)* |
    // +------------+----------+------------------------------------------------+
    private static RemctlCommandMessage ParseCommand(byte version, ReadOnlyMemory<byte> body)
    {
        var span = body.Span;
        if (span.Length < 2)
        {
            return ThrowHelper.Protocol<RemctlCommandMessage>(RemctlErrorCode.BadCommand, RemctlErrorMessages.BadCommand);
        }

        if (span[0] > 1 || span[1] > (byte)RemctlContinueStatus.Last)
        {
            return ThrowHelper.Protocol<RemctlCommandMessage>(RemctlErrorCode.BadCommand, RemctlErrorMessages.BadCommand);
        }

        return new RemctlCommandMessage(version, span[0] == 1, (RemctlContinueStatus)span[1], body[2..]);
    }

    // MESSAGE_OUTPUT
    // +--------+-----------------------------+------------------+
    // | stream | length (uint32, big-endian) | output (length)  |
    // +--------+-----------------------------+------------------+
    private static RemctlOutputMessage ParseOutput(byte version, ReadOnlyMemory<byte> body)
    {
        var span = body.Span;
        if (span.Length < 5)
        {
            return ThrowHelper.Protocol<RemctlOutputMessage>(RemctlErrorCode.BadToken, "Malformed output message");
        }

        uint length = BinaryPrimitives.ReadUInt32BigEndian(span[1..]);
        if (length != (uint)(span.Length - 5))
        {
            return ThrowHelper.Protocol<RemctlOutputMessage>(RemctlErrorCode.BadToken, "Output length does not match message");
        }

        return new RemctlOutputMessage(version, span[0], body[5..]);
    }

    // MESSAGE_STATUS
    // +-------------+
    // | exit status |
    // +-------------+
    private static RemctlStatusMessage ParseStatus(byte version, ReadOnlyMemory<byte> body)
        => body.Length == 1
            ? new RemctlStatusMessage(version, body.Span[0])
            : ThrowHelper.Protocol<RemctlStatusMessage>(RemctlErrorCode.BadToken, "Malformed status message");

    // MESSAGE_ERROR
    // +-----------------------------+-----------------------------+-------------------+
    // | code (uint32, big-endian)   | length (uint32, big-endian) | message (length)  |
    // +-----------------------------+-----------------------------+-------------------+
    private static RemctlErrorMessage ParseError(byte version, ReadOnlyMemory<byte> body)
    {
        var span = body.Span;
        if (span.Length < 8)
        {
            return ThrowHelper.Protocol<RemctlErrorMessage>(RemctlErrorCode.BadToken, "Malformed error message");
        }

        int code = BinaryPrimitives.ReadInt32BigEndian(span);
        uint length = BinaryPrimitives.ReadUInt32BigEndian(span[4..]);
        if (length != (uint)(span.Length - 8))
        {
            return ThrowHelper.Protocol<RemctlErrorMessage>(RemctlErrorCode.BadToken, "Error length does not match message");
        }

        return new RemctlErrorMessage(version, code, body[8..]);
    }

    // MESSAGE_VERSION
    // +-------------------+
    // | highest supported |
    // +-------------------+
    private static RemctlVersionMessage ParseVersion(byte version, ReadOnlyMemory<byte> body)
        => body.Length == 1
            ? new RemctlVersionMessage(version, body.Span[0])
            : ThrowHelper.Protocol<RemctlVersionMessage>(RemctlErrorCode.BadToken, "Malformed version message");
}
