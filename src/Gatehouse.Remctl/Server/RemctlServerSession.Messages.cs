using Gatehouse.Protocol;
using System.Buffers;
using System.Text;
using Gatehouse.Remctl.Gss;
using Gatehouse.Remctl.Protocol;

namespace Gatehouse.Remctl.Server;

internal sealed partial class RemctlServerSession
{
    private enum Next { Continue, Close }

    /// <summary>
    /// Reads and answers messages until QUIT, a command without keep-alive, an unrecoverable error, the idle
    /// timeout or end of stream (draft section 3). Every token is <c>0x44 (DATA|PROTOCOL)</c> carrying a
    /// gss_wrap-protected message.
    /// </summary>
    private async Task MessageLoopAsync(GssContext context, CancellationToken cancellationToken)
    {
        var state = new MessageState(new RemctlCommandAssembler(_options.MaxArguments, _options.MaxCommandBytes));
        while (true)
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
            catch (RemctlProtocolException ex)
            {
                // Oversize or truncated token: the stream cannot be resynchronised.
                RemctlServerLog.Truncated(_logger, _id);
                await SendFinalErrorAsync(context, ex.ErrorCode);
                return;
            }

            if (token is null)
            {
                return;
            }

            if (await HandleTokenAsync(context, state, token.Value.Flags, token.Value.Payload, cancellationToken) == Next.Close)
            {
                return;
            }
        }
    }

    private async Task<Next> HandleTokenAsync(GssContext context, MessageState state, RemctlTokenFlags flags, byte[] payload,
        CancellationToken cancellationToken)
    {
        if (flags != RemctlLimits.DataV2)
        {
            RemctlServerLog.BadFlags(_logger, _id, (byte)flags, "data token");
            await SendFinalErrorAsync(context, RemctlErrorCode.BadToken);
            return Next.Close;
        }

        byte[] plaintext;
        try
        {
            plaintext = context.Unwrap(payload);
        }
        catch (RemctlGssException ex)
        {
            // Like remctld: a token that does not unwrap ends the connection after an error reply.
            RemctlServerLog.ProtocolError(_logger, _id, (int)RemctlErrorCode.BadToken, ex.Message);
            await SendFinalErrorAsync(context, RemctlErrorCode.BadToken);
            return Next.Close;
        }

        RemctlMessage message;
        try
        {
            if (plaintext.Length > RemctlLimits.MaxMessage)
            {
                ThrowHelper.Protocol(RemctlErrorCode.TooMuchData, RemctlErrorMessages.TooMuchData);
            }

            message = RemctlMessageReader.Parse(plaintext);
        }
        catch (RemctlVersionException ex)
        {
            // Section 3.1: ignore the message, answer with our highest version; a partial command is aborted.
            RemctlServerLog.VersionReply(_logger, _id, ex.Version);
            state.AbortCommand();
            await SendPlainAsync(context, w => RemctlMessageWriter.WriteVersion(w), cancellationToken);
            return Next.Continue;
        }
        catch (RemctlProtocolException ex)
        {
            return await FailAsync(context, state, ex, keepAlive: true, cancellationToken);
        }

        switch (message)
        {
            case RemctlCommandMessage command:
                return await HandleCommandAsync(context, state, command, cancellationToken);

            case RemctlQuitMessage:
                RemctlServerLog.Quit(_logger, _id);
                return Next.Close;

            case RemctlNoopMessage when !state.Assembler.InProgress:
                state.ProtocolVersion = 3;
                await SendPlainAsync(context, RemctlMessageWriter.WriteNoop, cancellationToken);
                return Next.Continue;

            default:
                var code = state.Assembler.InProgress || state.Discarding ? RemctlErrorCode.UnexpectedMessage : RemctlErrorCode.UnknownMessage;
                var text = code == RemctlErrorCode.UnexpectedMessage ? RemctlErrorMessages.UnexpectedMessage : RemctlErrorMessages.UnknownMessage;
                // As remctld: ERROR 9 (another message inside a continued command) ends the connection.
                return await FailAsync(context, state, new RemctlProtocolException(code, text), keepAlive: code != RemctlErrorCode.UnexpectedMessage, cancellationToken);
        }
    }

    private async Task<Next> HandleCommandAsync(GssContext context, MessageState state, RemctlCommandMessage command,
        CancellationToken cancellationToken)
    {
        if (state.Discarding)
        {
            // The rest of a command already answered with an error (continue status 2 or 3): drop it silently,
            // so a client that sends every chunk before reading sees exactly one reply.
            if (command.Continue is RemctlContinueStatus.Middle)
            {
                return Next.Continue;
            }

            state.Discarding = false;
            if (command.Continue is RemctlContinueStatus.Last)
            {
                return command.KeepAlive ? Next.Continue : Next.Close;
            }
        }

        IReadOnlyList<ReadOnlyMemory<byte>> arguments;
        try
        {
            if (!state.Assembler.Append(command, out arguments))
            {
                return Next.Continue;
            }
        }
        catch (RemctlProtocolException ex)
        {
            state.Discarding = command.Continue is RemctlContinueStatus.First or RemctlContinueStatus.Middle;
            return await FailAsync(context, state, ex, command.KeepAlive, cancellationToken);
        }

        await DispatchAsync(context, state, arguments, cancellationToken);
        return state.Assembler.KeepAlive ? Next.Continue : Next.Close;
    }

    /// <summary>Sends MESSAGE_ERROR for a protocol violation and decides whether the connection survives.</summary>
    private async Task<Next> FailAsync(GssContext context, MessageState state, RemctlProtocolException error, bool keepAlive,
        CancellationToken cancellationToken)
    {
        RemctlServerLog.ProtocolError(_logger, _id, (int)error.ErrorCode, error.Message);
        if (state.Assembler.InProgress)
        {
            state.AbortCommand();
        }

        await SendErrorAsync(context, error.ErrorCode, error.Message, cancellationToken);
        if (++state.Errors >= _options.MaxErrorsPerConnection)
        {
            RemctlServerLog.TooManyErrors(_logger, _id, state.Errors);
            return Next.Close;
        }

        return keepAlive ? Next.Continue : Next.Close;
    }

    /// <summary>
    /// Sends the last ERROR of a connection that is about to close. Not tied to the connection-closed token
    /// (the client may already have half-closed its side and still be reading), but bounded in time.
    /// </summary>
    private async Task SendFinalErrorAsync(GssContext context, RemctlErrorCode code)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await SendErrorAsync(context, code, RemctlErrorMessages.BadToken, cts.Token);
    }

    private Task SendErrorAsync(GssContext context, RemctlErrorCode code, string message, CancellationToken cancellationToken)
        => SendErrorAsync(context, (int)code, message, cancellationToken);

    private async Task SendErrorAsync(GssContext context, int code, string message, CancellationToken cancellationToken)
    {
        byte[] text = Encoding.UTF8.GetBytes(message);
        int max = RemctlLimits.MaxMessage - 10;
        await SendPlainAsync(context, w => RemctlMessageWriter.WriteError(w, code, text.AsSpan(0, Math.Min(text.Length, max))),
            cancellationToken);
    }

    private async Task SendPlainAsync(GssContext context, Action<IBufferWriter<byte>> write, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        write(buffer);
        await _sender.SendMessageAsync(context, buffer.WrittenMemory, cancellationToken);
    }

    /// <summary>Per-connection message state; touched only by the session's read loop.</summary>
    private sealed class MessageState(RemctlCommandAssembler assembler)
    {
        public RemctlCommandAssembler Assembler { get; } = assembler;

        /// <summary>True while dropping the remaining chunks of a command already answered with an error.</summary>
        public bool Discarding { get; set; }

        public int Errors { get; set; }

        public int ProtocolVersion { get; set; } = 2;

        public void AbortCommand()
        {
            Discarding = Assembler.InProgress;
            Assembler.Reset();
        }
    }
}
