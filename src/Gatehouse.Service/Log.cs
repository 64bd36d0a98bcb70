using Microsoft.Extensions.Logging;

namespace Gatehouse.Service;

/// <summary>The service SDK's log lines (event ids 3000–3099).</summary>
internal static partial class Log
{
    [LoggerMessage(3000, LogLevel.Information, "Attached to gateway {Gateway} with {Commands} commands")]
    public static partial void Attached(ILogger logger, string gateway, int commands);

    [LoggerMessage(3001, LogLevel.Warning, "Detached from gateway {Gateway}: {Reason}")]
    public static partial void Detached(ILogger logger, string gateway, string reason);

    [LoggerMessage(3002, LogLevel.Warning, "Could not attach to gateway {Gateway}: {Reason}")]
    public static partial void AttachFailed(ILogger logger, string gateway, string reason);

    [LoggerMessage(3003, LogLevel.Error, "Handler for {Domain}/{Command} threw")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string domain, string command);

    [LoggerMessage(3004, LogLevel.Information, "Cluster member {Gateway} ({Fingerprint}) listed by {Via}: attaching to it")]
    public static partial void MemberDiscovered(ILogger logger, string gateway, string fingerprint, string via);

    [LoggerMessage(3005, LogLevel.Information, "Detaching from gateway {Gateway} ({Fingerprint}): {Reason}")]
    public static partial void Detaching(ILogger logger, string gateway, string fingerprint, string reason);

    [LoggerMessage(3006, LogLevel.Warning, "Gateway {Gateway} does not list its cluster's members to this service ({Reason}); staying attached to the configured gateways (and members found before)")]
    public static partial void MembersRefused(ILogger logger, string gateway, string reason);

    [LoggerMessage(3007, LogLevel.Warning, "Could not read the member list from gateway {Gateway}: {Reason} (said once until a read works)")]
    public static partial void MembersFailed(ILogger logger, string gateway, string reason);

    [LoggerMessage(3008, LogLevel.Debug, "Gateway {Gateway} lists {Live} live members of {Members}; {Targets} gateways to attach to")]
    public static partial void MembersRead(ILogger logger, string gateway, int live, int members, int targets);

    [LoggerMessage(3009, LogLevel.Information, "Detached from gateway {Gateway}: {Reason}")]
    public static partial void DetachedOnPurpose(ILogger logger, string gateway, string reason);

    [LoggerMessage(3010, LogLevel.Information, "Gateway {Gateway} announced its next key {Next} (signed by the pinned {Current}); recorded")]
    public static partial void SuccessorRecorded(ILogger logger, string gateway, string current, string next);

    [LoggerMessage(3011, LogLevel.Warning, "Gateway {Gateway} sent an identity notice that was refused: {Reason}")]
    public static partial void SuccessorRefused(ILogger logger, string gateway, string reason);

    [LoggerMessage(3012, LogLevel.Information, "Gateway {Gateway} now presents {Next}, the successor it announced: pinned to it alone")]
    public static partial void SuccessorPromoted(ILogger logger, string gateway, string next);
}
