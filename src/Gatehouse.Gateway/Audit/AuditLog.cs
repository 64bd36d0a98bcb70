using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Audit;

/// <summary>The audit trail's log messages (event ids 2300-2309).</summary>
internal static partial class AuditLog
{
    /// <summary>One audit record, for <see cref="AuditDestination.Log"/>: every field is also a structured value (JSON log format).</summary>
    [LoggerMessage(2300, LogLevel.Information, "AUDIT {FrontDoor} {Principal} from {Address}: {Domain} {Command} -> {Target} {TargetName}: {Outcome} {Code}, in {BytesIn} B, out {BytesOut} B, {DurationMs} ms (fingerprint {Fingerprint}, host {Host}, gateway {Gateway}) {Message}")]
    public static partial void Request(ILogger logger, string frontDoor, string principal, string address, string domain, string command, string target, string targetName,
        string outcome, int code, long bytesIn, long bytesOut, double durationMs, string fingerprint, string host, string gateway, string message);

    [LoggerMessage(2301, LogLevel.Warning, "Audit records are being dropped: the writer cannot keep up ({Dropped} dropped since start; queue of {QueueLength}; said at most once a minute)")]
    public static partial void Dropped(ILogger logger, long dropped, int queueLength);

    [LoggerMessage(2302, LogLevel.Error, "Cannot write the audit file {Path}: {Reason} (records are lost until writing works again)")]
    public static partial void WriteFailed(ILogger logger, string path, string reason);

    [LoggerMessage(2303, LogLevel.Error, "The audit writer failed (it goes on with the next records)")]
    public static partial void WriterFailed(ILogger logger, Exception exception);
}
