using Microsoft.Extensions.Logging;

namespace Gatehouse.Remctl.Server;

/// <summary>
/// Source-generated log messages of the remctl server (event ids 4300-4349; 4300-4320 used). Tokens, keys and command
/// arguments beyond the command name are never logged.
/// </summary>
internal static partial class RemctlServerLog
{
    [LoggerMessage(4300, LogLevel.Debug, "remctl connection {ConnectionId} from {RemoteEndPoint} opened")]
    public static partial void ConnectionOpened(ILogger logger, string connectionId, string? remoteEndPoint);

    [LoggerMessage(4301, LogLevel.Debug, "remctl connection {ConnectionId} closed")]
    public static partial void ConnectionClosed(ILogger logger, string connectionId);

    [LoggerMessage(4302, LogLevel.Warning, "remctl connection {ConnectionId}: protocol version 1 client refused (ProtocolV1 is off)")]
    public static partial void Version1Refused(ILogger logger, string connectionId);

    [LoggerMessage(4303, LogLevel.Warning, "remctl connection {ConnectionId}: bad token flags 0x{Flags:x2} in {Phase}")]
    public static partial void BadFlags(ILogger logger, string connectionId, byte flags, string phase);

    [LoggerMessage(4304, LogLevel.Warning, "remctl connection {ConnectionId}: client dropped TOKEN_PROTOCOL during context negotiation (downgrade refused)")]
    public static partial void DowngradeRefused(ILogger logger, string connectionId);

    [LoggerMessage(4305, LogLevel.Warning, "remctl connection {ConnectionId}: GSS-API context negotiation failed: {Reason}")]
    public static partial void HandshakeFailed(ILogger logger, string connectionId, string reason);

    [LoggerMessage(4306, LogLevel.Warning, "remctl connection {ConnectionId}: client did not negotiate mutual, confidentiality and integrity flags (0x{Flags:x})")]
    public static partial void BadContextFlags(ILogger logger, string connectionId, uint flags);

    [LoggerMessage(4307, LogLevel.Information, "remctl connection {ConnectionId}: {Principal} authenticated (protocol version {Version})")]
    public static partial void Authenticated(ILogger logger, string connectionId, string principal, int version);

    [LoggerMessage(4308, LogLevel.Information, "remctl connection {ConnectionId}: COMMAND {Command} {Subcommand} from {Principal}")]
    public static partial void Command(ILogger logger, string connectionId, string command, string subcommand, string principal);

    [LoggerMessage(4309, LogLevel.Warning, "remctl connection {ConnectionId}: sending error {Code}: {Reason}")]
    public static partial void ProtocolError(ILogger logger, string connectionId, int code, string reason);

    [LoggerMessage(4310, LogLevel.Warning, "remctl connection {ConnectionId}: handshake timed out")]
    public static partial void HandshakeTimeout(ILogger logger, string connectionId);

    [LoggerMessage(4311, LogLevel.Information, "remctl connection {ConnectionId}: idle timeout")]
    public static partial void IdleTimeout(ILogger logger, string connectionId);

    [LoggerMessage(4312, LogLevel.Error, "remctl connection {ConnectionId}: dispatcher failed")]
    public static partial void DispatcherFailed(ILogger logger, Exception exception, string connectionId);

    [LoggerMessage(4313, LogLevel.Debug, "remctl connection {ConnectionId}: transport error")]
    public static partial void TransportError(ILogger logger, Exception exception, string connectionId);

    [LoggerMessage(4314, LogLevel.Warning, "remctl connection {ConnectionId}: closing after {Errors} errors")]
    public static partial void TooManyErrors(ILogger logger, string connectionId, int errors);

    [LoggerMessage(4315, LogLevel.Warning, "remctl connection {ConnectionId}: connection closed inside a token or message")]
    public static partial void Truncated(ILogger logger, string connectionId);

    [LoggerMessage(4316, LogLevel.Debug, "remctl connection {ConnectionId}: message with protocol version {Version}, answered MESSAGE_VERSION")]
    public static partial void VersionReply(ILogger logger, string connectionId, byte version);

    [LoggerMessage(4317, LogLevel.Debug, "remctl connection {ConnectionId}: QUIT received")]
    public static partial void Quit(ILogger logger, string connectionId);

    [LoggerMessage(4318, LogLevel.Warning, "remctl connection {ConnectionId}: client read nothing for {Timeout}; connection dropped")]
    public static partial void WriteTimeout(ILogger logger, string connectionId, TimeSpan timeout);

    [LoggerMessage(4319, LogLevel.Warning, "remctl connection {ConnectionId}: protocol version 1 command refused: {Reason}")]
    public static partial void Version1Error(ILogger logger, string connectionId, string reason);

    [LoggerMessage(4320, LogLevel.Information, "remctl connection {ConnectionId}: protocol version 1 output over {Limit} bytes, {Discarded} bytes dropped")]
    public static partial void Version1OutputTruncated(ILogger logger, string connectionId, int limit, long discarded);
}
