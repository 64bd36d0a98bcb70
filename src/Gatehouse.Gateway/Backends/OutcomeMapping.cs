using System.Globalization;
using Gatehouse.Commands;
using Gatehouse.Protocol;
using Gatehouse.Remctl;

namespace Gatehouse.Gateway.Backends;

/// <summary>Translations between the command library's, the native protocol's and remctl's results.</summary>
internal static class OutcomeMapping
{
    /// <summary>A command outcome as a native STATUS.</summary>
    public static CallStatus ToStatus(CommandOutcome outcome) => outcome switch
    {
        CommandOutcome.Exited { TimedOut: true } => CallStatus.Error(ErrorCode.Timeout, "Command timed out (timeout= in the command configuration)"),
        CommandOutcome.Exited e => CallStatus.Exit(e.ExitCode),
        CommandOutcome.Failed f => CallStatus.Error((ErrorCode)f.ErrorCode, f.Message),
        CommandOutcome.Overloaded o => CallStatus.Error(ErrorCode.Overloaded, o.Message),
        _ => CallStatus.Error(ErrorCode.Internal),
    };

    /// <summary>
    /// A native STATUS as a remctl outcome: exit codes pass through; codes 1..10 are remctl's own;
    /// Gatehouse's codes become ERROR_INTERNAL with a message that names them.
    /// </summary>
    public static RemctlOutcome ToRemctl(CallStatus status)
    {
        if (status.Kind == StatusKind.Exit)
        {
            return new RemctlOutcome.Exited(status.Code);
        }

        return status.Code is >= 1 and <= 10
            ? new RemctlOutcome.Failed(status.Code, status.Message)
            : new RemctlOutcome.Failed((int)RemctlErrorCode.Internal, $"{status.Message} (gatehouse error {status.Code.ToString(CultureInfo.InvariantCulture)})");
    }

    /// <summary>Reads the invocation the command library needs from a forwarded header.</summary>
    public static CommandInvocation ToInvocation(RequestHeader forwarded)
    {
        DateTimeOffset? expires = long.TryParse(forwarded.GetMetadata("REMOTE_EXPIRES"), NumberStyles.None, CultureInfo.InvariantCulture, out long secs)
            ? DateTimeOffset.FromUnixTimeSeconds(secs)
            : null;
        return new CommandInvocation(
            forwarded.Command,
            forwarded.Arguments,
            forwarded.GetMetadata("REMOTE_USER") ?? string.Empty,
            forwarded.GetMetadata("REMOTE_ADDR"),
            forwarded.GetMetadata("REMOTE_HOST"),
            expires);
    }
}
