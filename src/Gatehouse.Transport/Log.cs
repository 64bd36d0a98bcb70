using Gatehouse.Protocol;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Transport;

/// <summary>Transport log messages (event ids 1000-1099). Never logs payloads or keys.</summary>
internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Debug, "{Connection}: sent GOAWAY {Code} {Message}")]
    public static partial void GoAwaySent(ILogger logger, string connection, ErrorCode code, string message);

    [LoggerMessage(1001, LogLevel.Debug, "{Connection}: received GOAWAY {Code} {Message}")]
    public static partial void GoAwayReceived(ILogger logger, string connection, ErrorCode code, string message);

    [LoggerMessage(1002, LogLevel.Debug, "{Connection}: closed ({Reason})")]
    public static partial void Closed(ILogger logger, string connection, string reason);

    [LoggerMessage(1003, LogLevel.Warning, "{Connection}: protocol violation {Code}: {Message}")]
    public static partial void ProtocolViolation(ILogger logger, string connection, ErrorCode code, string message);

    [LoggerMessage(1004, LogLevel.Warning, "{Connection}: the peer stopped reading ({Queued} bytes queued, no progress for {Seconds} s): closing")]
    public static partial void WriteTimedOut(ILogger logger, string connection, long queued, double seconds);

    [LoggerMessage(1005, LogLevel.Error, "{Connection}: heartbeat failed; closing the connection")]
    public static partial void HeartbeatFailed(ILogger logger, string connection, Exception exception);

    [LoggerMessage(1006, LogLevel.Warning, "{Connection}: stream {StreamId} reset by a stream error {Code}: {Message}")]
    public static partial void StreamReset(ILogger logger, string connection, uint streamId, ErrorCode code, string message);

    [LoggerMessage(1007, LogLevel.Error, "{Connection}: the IDENTITY notice handler failed")]
    public static partial void IdentityNoticeHandlerFailed(ILogger logger, string connection, Exception exception);
}
