using Gatehouse.Protocol;
using System.Buffers;
using System.Text;
using Gatehouse.Remctl.Gss;
using Gatehouse.Remctl.Protocol;

namespace Gatehouse.Remctl.Server;

internal sealed partial class RemctlServerSession
{
    /// <summary>
    /// Runs one complete command through the dispatcher and sends its outcome: zero or more MESSAGE_OUTPUT
    /// (streamed by the dispatcher), then MESSAGE_STATUS or MESSAGE_ERROR. The outcome is queued right
    /// behind the last output so both usually leave in one write.
    /// </summary>
    private async Task DispatchAsync(GssContext context, MessageState state, IReadOnlyList<ReadOnlyMemory<byte>> arguments,
        CancellationToken cancellationToken)
    {
        string principal = context.PeerName ?? "";
        RemctlServerLog.Command(_logger, _id, Printable(arguments[0]), arguments.Count > 1 ? Printable(arguments[1]) : "", principal);
        var request = new RemctlRequest(arguments, principal, _remote, context.Expires)
        {
            IsAnonymous = context.PeerIsAnonymous,
            ProtocolVersion = state.ProtocolVersion,
        };

        var sink = new RemctlOutputSink(_sender, context);
        RemctlOutcome? outcome;
        try
        {
            outcome = await RunDispatcherAsync(request, sink, cancellationToken);
        }
        finally
        {
            sink.Complete();
        }

        switch (outcome)
        {
            case RemctlOutcome.Exited exited:
                await SendPlainAsync(context, w => RemctlMessageWriter.WriteStatus(w, ExitStatusByte(exited.ExitCode)), cancellationToken);
                break;
            case RemctlOutcome.Failed failed:
                await SendErrorAsync(context, failed.ErrorCode, failed.Message, cancellationToken);
                break;
            default:
                RemctlServerLog.DispatcherFailed(_logger, new InvalidOperationException("Dispatcher returned no outcome"), _id);
                await SendErrorAsync(context, RemctlErrorCode.Internal, RemctlErrorMessages.Internal, cancellationToken);
                break;
        }
    }

    /// <summary>
    /// Calls the dispatcher; an exception (other than the connection going away) is logged and becomes
    /// ERROR_INTERNAL. Null when the dispatcher returned no outcome.
    /// </summary>
    private async Task<RemctlOutcome?> RunDispatcherAsync(RemctlRequest request, IRemctlOutput output, CancellationToken cancellationToken)
    {
        try
        {
            return await _dispatcher.ExecuteAsync(request, output, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is not (System.Threading.Channels.ChannelClosedException or IOException))
        {
            RemctlServerLog.DispatcherFailed(_logger, ex, _id);
            return new RemctlOutcome.Failed((int)RemctlErrorCode.Internal, RemctlErrorMessages.Internal);
        }
    }

    /// <summary>remctld's mapping: -127..255 as the low octet, anything else as 255 (-1).</summary>
    internal static byte ExitStatusByte(int exitCode) => exitCode is > 255 or < -127 ? (byte)255 : unchecked((byte)exitCode);

    private static string Printable(ReadOnlyMemory<byte> argument)
    {
        var span = argument.Span[..Math.Min(argument.Length, 64)];
        var text = Encoding.UTF8.GetString(span);
        return string.Create(text.Length, text, static (dest, src) =>
        {
            for (int i = 0; i < src.Length; i++)
            {
                dest[i] = char.IsControl(src[i]) ? '?' : src[i];
            }
        });
    }
}
