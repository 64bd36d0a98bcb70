using System.Buffers;
using Gatehouse.Protocol;
using Gatehouse.Remctl.Gss;
using Gatehouse.Remctl.Protocol;

namespace Gatehouse.Remctl.Server;

internal sealed partial class RemctlServerSession
{
    /// <summary>
    /// Serves the one command of a protocol version 1 connection, as remctld does, then returns (the
    /// connection closes):
    /// <code>
    /// client: 0x24 (DATA|SEND_MIC), gss_wrap(argc, {length, argument}*)
    /// server: 0x08 (MIC), gss_get_mic over the unwrapped command     (only when SEND_MIC was set)
    /// server: 0x04 (DATA), gss_wrap(status, length, merged output of at most 65528 bytes)
    /// </code>
    /// Every refusal (malformed command, unknown command, access denied, ...) is a reply with status -1 and
    /// the error text plus a newline as output. A token that is not a data token, or does not unwrap, gets
    /// <c>Invalid token</c>; one whose declared length is over 1 MiB gets <c>Too much data</c>; a connection
    /// closed before or inside the token gets nothing.
    /// </summary>
    private async Task ServeVersion1Async(GssContext context, CancellationToken cancellationToken)
    {
        (RemctlTokenFlags Flags, byte[] Payload)? token;
        try
        {
            token = await ReadTokenAsync(_options.IdleTimeout, CancellationToken.None);
        }
        catch (TimeoutException)
        {
            RemctlServerLog.IdleTimeout(_logger, _id);
            return;
        }
        catch (RemctlTokenTooLargeException ex)
        {
            RemctlServerLog.Version1Error(_logger, _id, ex.Message);
            await SendVersion1FinalErrorAsync(context, RemctlErrorMessages.TooMuchData);
            return;
        }
        catch (RemctlProtocolException)
        {
            RemctlServerLog.Truncated(_logger, _id);
            return;
        }

        if (token is not var (flags, payload))
        {
            return;
        }

        if ((flags & ~RemctlTokenFlags.SendMic) != RemctlTokenFlags.Data)
        {
            RemctlServerLog.BadFlags(_logger, _id, (byte)flags, "version 1 command token");
            await SendVersion1FinalErrorAsync(context, RemctlErrorMessages.BadToken);
            return;
        }

        byte[] plaintext;
        try
        {
            plaintext = context.Unwrap(payload);
        }
        catch (RemctlGssException ex)
        {
            RemctlServerLog.Version1Error(_logger, _id, ex.Message);
            await SendVersion1FinalErrorAsync(context, RemctlErrorMessages.BadToken);
            return;
        }

        if ((flags & RemctlTokenFlags.SendMic) != 0)
        {
            byte[] mic;
            try
            {
                mic = context.GetMic(plaintext);
            }
            catch (RemctlGssException ex)
            {
                RemctlServerLog.Version1Error(_logger, _id, ex.Message);
                return;
            }

            await _sender.SendTokenAsync(RemctlTokenFlags.Mic, mic, cancellationToken);
        }

        IReadOnlyList<ReadOnlyMemory<byte>> arguments;
        try
        {
            arguments = RemctlV1Codec.ParseCommand(plaintext, _options.MaxArguments, _options.MaxCommandBytes);
        }
        catch (RemctlProtocolException ex)
        {
            RemctlServerLog.Version1Error(_logger, _id, ex.Message);
            await SendVersion1Async(context, w => RemctlV1Codec.WriteError(w, ex.Message), cancellationToken);
            return;
        }

        string principal = context.PeerName ?? "";
        RemctlServerLog.Command(_logger, _id, Printable(arguments[0]), arguments.Count > 1 ? Printable(arguments[1]) : "", principal);
        var request = new RemctlRequest(arguments, principal, _remote, context.Expires)
        {
            IsAnonymous = context.PeerIsAnonymous,
            ProtocolVersion = 1,
        };

        var sink = new RemctlV1OutputSink();
        RemctlOutcome? outcome;
        try
        {
            outcome = await RunDispatcherAsync(request, sink, cancellationToken);
        }
        finally
        {
            sink.Complete();
        }

        if (sink.Discarded > 0)
        {
            RemctlServerLog.Version1OutputTruncated(_logger, _id, RemctlV1Codec.MaxOutput, sink.Discarded);
        }

        switch (outcome)
        {
            case RemctlOutcome.Exited exited:
                await SendVersion1Async(context, w => RemctlV1Codec.WriteReply(w, RemctlV1Codec.ExitStatus(exited.ExitCode), sink.Output),
                    cancellationToken);
                break;
            case RemctlOutcome.Failed failed:
                // remctld never sends output and an error together; an error after output replaces it.
                RemctlServerLog.ProtocolError(_logger, _id, failed.ErrorCode, failed.Message);
                await SendVersion1Async(context, w => RemctlV1Codec.WriteError(w, failed.Message), cancellationToken);
                break;
            default:
                RemctlServerLog.DispatcherFailed(_logger, new InvalidOperationException("Dispatcher returned no outcome"), _id);
                await SendVersion1Async(context, w => RemctlV1Codec.WriteError(w, RemctlErrorMessages.Internal), cancellationToken);
                break;
        }
    }

    /// <summary>Sends the error reply of a connection about to close, bounded in time like <see cref="SendFinalErrorAsync"/>.</summary>
    private async Task SendVersion1FinalErrorAsync(GssContext context, string message)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await SendVersion1Async(context, w => RemctlV1Codec.WriteError(w, message), cts.Token);
    }

    private async Task SendVersion1Async(GssContext context, Action<IBufferWriter<byte>> write, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(RemctlV1Codec.ReplyHeaderSize + 64);
        write(buffer);
        await _sender.SendMessageAsync(context, buffer.WrittenMemory, RemctlTokenFlags.Data, cancellationToken);
    }
}
