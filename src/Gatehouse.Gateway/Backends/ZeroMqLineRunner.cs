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
        catch (ZeroMqTimeoutException ex)
        {
            // The daemon did not answer within the line's timeout= (or the backend's default): over
            // tcp:// a daemon that is down looks just like this (the request waits to be delivered).
            return new CommandOutcome.Failed((int)ErrorCode.Timeout,
                $"the ZeroMQ daemon at {line.Program} is not answering: no reply within {ex.Timeout.TotalSeconds:0.###} s (is it running?)");
        }
        catch (ZeroMqException ex) when (ex.InnerException is System.Net.Sockets.SocketException or IOException)
        {
            // Nothing listens on the socket (ipc:// connects at once and fails at once).
            return new CommandOutcome.Failed((int)ErrorCode.Unavailable,
                $"the ZeroMQ daemon at {line.Program} is not answering: nothing accepts connections there (is it running?)");
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
