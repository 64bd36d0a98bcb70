using Gatehouse.Protocol;
using System.Text;

namespace Gatehouse.Remctl.Protocol;

/// <summary>
/// A decoded remctl message: the plaintext of one data token after gss_unwrap (draft section 3.1).
/// Memory held by a message may alias the buffer it was parsed from.
/// </summary>
/// <param name="Version">Protocol version octet (2, or 3 for MESSAGE_NOOP).</param>
public abstract record RemctlMessage(byte Version)
{
    /// <summary>The message type octet.</summary>
    public abstract RemctlMessageType Type { get; }
}

/// <summary>MESSAGE_COMMAND: one chunk of a (possibly continued) command.</summary>
/// <param name="Version">Protocol version octet.</param>
/// <param name="KeepAlive">Keep-alive flag: keep the connection open after the command.</param>
/// <param name="Continue">Continue status of this chunk.</param>
/// <param name="Data">Chunk data: a slice of <c>argc(4) (length(4) argument)*</c>.</param>
public sealed record RemctlCommandMessage(byte Version, bool KeepAlive, RemctlContinueStatus Continue, ReadOnlyMemory<byte> Data)
    : RemctlMessage(Version)
{
    /// <inheritdoc />
    public override RemctlMessageType Type => RemctlMessageType.Command;
}

/// <summary>MESSAGE_QUIT: the client ends a kept-alive connection.</summary>
/// <param name="Version">Protocol version octet.</param>
public sealed record RemctlQuitMessage(byte Version) : RemctlMessage(Version)
{
    /// <inheritdoc />
    public override RemctlMessageType Type => RemctlMessageType.Quit;
}

/// <summary>MESSAGE_OUTPUT: a chunk of command output.</summary>
/// <param name="Version">Protocol version octet.</param>
/// <param name="Stream">1 for standard output, 2 for standard error.</param>
/// <param name="Data">Output bytes.</param>
public sealed record RemctlOutputMessage(byte Version, byte Stream, ReadOnlyMemory<byte> Data) : RemctlMessage(Version)
{
    /// <inheritdoc />
    public override RemctlMessageType Type => RemctlMessageType.Output;
}

/// <summary>MESSAGE_STATUS: the command finished with an exit status.</summary>
/// <param name="Version">Protocol version octet.</param>
/// <param name="ExitStatus">Exit status octet.</param>
public sealed record RemctlStatusMessage(byte Version, byte ExitStatus) : RemctlMessage(Version)
{
    /// <inheritdoc />
    public override RemctlMessageType Type => RemctlMessageType.Status;
}

/// <summary>MESSAGE_ERROR: the command failed with a remctl error code.</summary>
/// <param name="Version">Protocol version octet.</param>
/// <param name="Code">Error code (clients must accept codes outside <see cref="RemctlErrorCode"/>).</param>
/// <param name="Message">Human-readable message bytes.</param>
public sealed record RemctlErrorMessage(byte Version, int Code, ReadOnlyMemory<byte> Message) : RemctlMessage(Version)
{
    /// <inheritdoc />
    public override RemctlMessageType Type => RemctlMessageType.Error;

    /// <summary>The message decoded as UTF-8 (invalid sequences replaced).</summary>
    public string MessageText => Encoding.UTF8.GetString(Message.Span);
}

/// <summary>MESSAGE_VERSION: the server's highest supported version, in reply to a newer message.</summary>
/// <param name="Version">Protocol version octet.</param>
/// <param name="HighestSupported">Highest protocol version the server supports.</param>
public sealed record RemctlVersionMessage(byte Version, byte HighestSupported) : RemctlMessage(Version)
{
    /// <inheritdoc />
    public override RemctlMessageType Type => RemctlMessageType.Version;
}

/// <summary>MESSAGE_NOOP: keep-alive ping and its reply (protocol version 3).</summary>
/// <param name="Version">Protocol version octet.</param>
public sealed record RemctlNoopMessage(byte Version) : RemctlMessage(Version)
{
    /// <inheritdoc />
    public override RemctlMessageType Type => RemctlMessageType.Noop;
}
