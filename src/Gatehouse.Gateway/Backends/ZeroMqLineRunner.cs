using Gatehouse.Protocol;
using Gatehouse.Commands;
using Gatehouse.Commands.Configuration;
using Gatehouse.ZeroMq;

namespace Gatehouse.Gateway.Backends;

/// <summary>
/// Runs <c>type=zeromq</c> lines of remctl.conf: sends seed 004's ARGUMENT/ENVIRONMENT request to the
/// line's endpoint and replays the reply's OUTPUT parts, then its RETURNCODE or ERRORCODE.
/// </summary>
internal sealed class ZeroMqLineRunner(ZeroMqBackend backend)
{
    public async Task<CommandOutcome> RunAsync(CommandLine line, CommandInvocation invocation, Stream? stdin, ICommandOutput output, CancellationToken cancellationToken)
    {
        ZeroMqReply reply;
        try
        {
            reply = await backend.CallAsync(line.Program, invocation.Arguments, CommandEnvironment.RemctlVariables(invocation, invocation.Command), line.Options.Timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (ZeroMqTimeoutException)
        {
            // The daemon did not answer within the line's timeout= (or the backend's default).
            return new CommandOutcome.Exited(-1) { TimedOut = true };
        }
        catch (ZeroMqException ex)
        {
            return new CommandOutcome.Failed((int)RemctlErrorCode.Internal, $"ZeroMQ backend {line.Program}: {ex.Message}");
        }

        foreach (var part in reply.Outputs)
        {
            await output.WriteAsync(part.Stream, part.Data, cancellationToken).ConfigureAwait(false);
        }

        return reply switch
        {
            ZeroMqReply.ReturnCode rc => new CommandOutcome.Exited(rc.Code),
            ZeroMqReply.ErrorCode ec => new CommandOutcome.Failed(ec.Code, ErrorText(ec.Code)),
            _ => new CommandOutcome.Failed((int)RemctlErrorCode.Internal, RemctlErrorMessages.Internal),
        };
    }

    private static string ErrorText(int code) => code switch
    {
        (int)RemctlErrorCode.Access => RemctlErrorMessages.Access,
        (int)RemctlErrorCode.UnknownCommand => RemctlErrorMessages.UnknownCommand,
        (int)RemctlErrorCode.BadCommand => RemctlErrorMessages.BadCommand,
        (int)RemctlErrorCode.NoHelp => RemctlErrorMessages.NoHelp,
        _ => Protocol.ErrorCodes.Describe((Protocol.ErrorCode)code),
    };
}
