using Microsoft.Extensions.Logging;

namespace Gatehouse.Commands;

/// <summary>Source-generated log messages of Gatehouse.Commands (event ids 3100-3199).</summary>
internal static partial class Log
{
    [LoggerMessage(3100, LogLevel.Information, "COMMAND from {Principal}: {Command}")]
    public static partial void CommandReceived(ILogger logger, string principal, string command);

    [LoggerMessage(3101, LogLevel.Information, "unknown command {Command} from user {Principal}")]
    public static partial void UnknownCommand(ILogger logger, string command, string principal);

    [LoggerMessage(3102, LogLevel.Information, "access denied: user {Principal}, command {Command}")]
    public static partial void AccessDenied(ILogger logger, string principal, string command);

    [LoggerMessage(3103, LogLevel.Error, "ACL check failed, access denied: {Error}")]
    public static partial void AclError(ILogger logger, string error);

    [LoggerMessage(3104, LogLevel.Error, "{Location}: cannot run command: {Reason}")]
    public static partial void CannotRun(ILogger logger, string location, string reason);

    [LoggerMessage(3105, LogLevel.Warning, "{Location}: command timed out after {Timeout}; killing process group {Pgid}")]
    public static partial void TimedOut(ILogger logger, string location, TimeSpan timeout, int pgid);

    [LoggerMessage(3106, LogLevel.Information, "{Location}: command cancelled; killing process group {Pgid}")]
    public static partial void Cancelled(ILogger logger, string location, int pgid);

    [LoggerMessage(3107, LogLevel.Debug, "{Location}: program stopped reading standard input ({Reason})")]
    public static partial void StdinClosed(ILogger logger, string location, string reason);

    [LoggerMessage(3108, LogLevel.Warning, "{Location}: reading the caller's standard input failed; the program sees end of file")]
    public static partial void StdinFailed(ILogger logger, string location, Exception exception);

    [LoggerMessage(3109, LogLevel.Warning, "{Location}: child {Pid} was reaped by someone else; exit status unknown")]
    public static partial void AlreadyReaped(ILogger logger, string location, int pid);

    [LoggerMessage(3110, LogLevel.Warning, "{Location}: output consumer failed; killing process group {Pgid}")]
    public static partial void OutputFailed(ILogger logger, string location, int pgid, Exception exception);

    [LoggerMessage(3111, LogLevel.Information, "summary request from user {Principal}, but no defined summaries")]
    public static partial void NoSummaries(ILogger logger, string principal);

    [LoggerMessage(3112, LogLevel.Information, "command {Command} from user {Principal} has no defined help")]
    public static partial void NoHelp(ILogger logger, string command, string principal);

    [LoggerMessage(3113, LogLevel.Information, "{What} from user {Principal} contains nul octet")]
    public static partial void NulInCommand(ILogger logger, string what, string principal);

    [LoggerMessage(3115, LogLevel.Warning, "{Location}: not started for {Principal}: {Refusal}")]
    public static partial void ProcessLimitReached(ILogger logger, string location, string principal, string refusal);

    [LoggerMessage(3114, LogLevel.Warning, "Exec children: {Problem}")]
    public static partial void OrphanGuardProblem(ILogger logger, string problem);
}
