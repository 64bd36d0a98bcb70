using Microsoft.Extensions.Logging;

namespace Gatehouse.Client.Fanout;

/// <summary>Log messages of the fan-out client (event ids 5000-5099).</summary>
internal static partial class FanoutLog
{
    [LoggerMessage(5000, LogLevel.Debug, "Retrying {Node} (attempt {Attempt}) in {DelayMs} ms: {Cause}")]
    public static partial void Retrying(ILogger logger, string node, int attempt, double delayMs, string cause);

    [LoggerMessage(5001, LogLevel.Debug, "{Node} failed: {Failure}: {Message}")]
    public static partial void NodeFailed(ILogger logger, string node, NodeFailure failure, string? message);

    [LoggerMessage(5002, LogLevel.Warning, "Unexpected error calling {Node}")]
    public static partial void Unexpected(ILogger logger, string node, Exception exception);
}
