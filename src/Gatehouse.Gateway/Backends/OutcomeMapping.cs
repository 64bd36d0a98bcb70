using System.Globalization;
using Gatehouse.Commands;
using Gatehouse.Gateway.Pipeline;
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

    /// <summary>The invocation the command library needs: the request's command and arguments, and who sent it.</summary>
    public static CommandInvocation ToInvocation(GatewayRequest request)
    {
        var caller = request.Caller;
        return new CommandInvocation(
            request.Header.Command,
            request.Header.Arguments,
            caller.Name,
            caller.Address.Length > 0 ? caller.Address : null,
            caller.Host,
            caller.Expires)
        {
            Anonymous = caller.IsAnonymous,
            MergeOutput = request.MergesOutputStreams,
        };
    }
}
