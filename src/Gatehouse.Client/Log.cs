using Microsoft.Extensions.Logging;

namespace Gatehouse.Client;

/// <summary>The client library's log events (ids 6100-6199).</summary>
internal static partial class Log
{
    [LoggerMessage(6100, LogLevel.Warning, "{Gateway} sent an identity notice that was refused: {Reason}")]
    public static partial void SuccessorRefused(ILogger logger, string gateway, string reason);

    [LoggerMessage(6101, LogLevel.Information, "{Gateway} announced its next key {Next} (signed by the pinned {Current}); recorded")]
    public static partial void SuccessorRecorded(ILogger logger, string gateway, string current, string next);

    [LoggerMessage(6102, LogLevel.Information, "{Gateway} now presents {Next}, the successor it announced; it is the pin now")]
    public static partial void SuccessorPromoted(ILogger logger, string gateway, string next);

    [LoggerMessage(6103, LogLevel.Warning, "Could not record {Gateway}'s successor: {Reason}")]
    public static partial void SuccessorNotRecorded(ILogger logger, string gateway, string reason);
}
