using Microsoft.Extensions.Logging;

namespace Gatehouse.ZeroMq.Internal;

/// <summary>
/// Source-generated log messages of the ZeroMQ backend; event ids 4100-4199 belong to it.
/// Arguments and environment (which hold REMOTE_USER and command data) are never logged.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4101, Level = LogLevel.Debug, Message = "Opened {Transport} REQ socket to {Endpoint}")]
    public static partial void SocketOpened(ILogger logger, string transport, string endpoint);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Information, Message = "Discarded a REQ socket to {Endpoint}: {Reason}")]
    public static partial void SocketDiscarded(ILogger logger, string endpoint, string reason);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Warning, Message = "ZeroMQ call to {Endpoint} timed out after {Timeout} (request sent: {RequestSent})")]
    public static partial void CallTimedOut(ILogger logger, string endpoint, TimeSpan timeout, bool requestSent);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Warning, Message = "Malformed reply from {Endpoint}: {Problem}")]
    public static partial void MalformedReply(ILogger logger, string endpoint, string problem);

    [LoggerMessage(EventId = 4105, Level = LogLevel.Warning, Message = "ZeroMQ call to {Endpoint} refused: {Queued} calls already waiting")]
    public static partial void CallRefusedBusy(ILogger logger, string endpoint, int queued);

    [LoggerMessage(EventId = 4106, Level = LogLevel.Error, Message = "ZeroMQ poller action failed")]
    public static partial void PollerActionFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 4107, Level = LogLevel.Warning, Message = "ZeroMQ call to {Endpoint} failed")]
    public static partial void CallFailed(ILogger logger, string endpoint, Exception exception);
}
