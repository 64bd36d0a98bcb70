using Gatehouse.Protocol;
using System.Buffers;
using System.Text;
using Gatehouse.Remctl.Protocol;

namespace Gatehouse.Remctl;

public sealed partial class RemctlClient
{
    /// <summary>Runs a command given as strings (UTF-8 encoded), e.g. <c>("test", "echo", "hello")</c>.</summary>
    public Task<RemctlResult> ExecuteAsync(IEnumerable<string> arguments, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        return ExecuteAsync([.. arguments.Select(a => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(a))], null, cancellationToken);
    }

    /// <summary>
    /// Runs one command on the kept-alive connection: sends MESSAGE_COMMAND (split into continued chunks when
    /// larger than 64 KiB) and reads MESSAGE_OUTPUT until MESSAGE_STATUS or MESSAGE_ERROR.
    /// </summary>
    /// <param name="arguments"><c>[0]</c> = command, <c>[1]</c> = subcommand, then arguments (binary-safe).</param>
    /// <param name="onOutput">Receives output as it arrives; when null, output is collected in the result.</param>
    /// <param name="cancellationToken">Cancels the wait; the connection is then closed, since the reply is unread.</param>
    /// <exception cref="RemctlException">The connection failed or the server broke the protocol; the client is then unusable.</exception>
    public async Task<RemctlResult> ExecuteAsync(IReadOnlyList<ReadOnlyMemory<byte>> arguments, RemctlOutputCallback? onOutput,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentOutOfRangeException.ThrowIfZero(arguments.Count);
        return await ExchangeAsync(async ct =>
        {
            var messages = RemctlCommandEncoder.Encode(arguments, keepAlive: true);
            await WriteTokensAsync(RemctlLimits.DataV2, messages.Select(m => _context!.Wrap(m)), ct);
            return await ReadResultAsync(onOutput, ct);
        }, cancellationToken);
    }

    /// <summary>
    /// Sends MESSAGE_NOOP (protocol version 3) and waits for the reply. Returns true when the server answered
    /// MESSAGE_NOOP; false when it answered MESSAGE_VERSION 2 (an older server: the client falls back to
    /// version 2 and later calls return false without sending).
    /// </summary>
    public Task<bool> NoopAsync(CancellationToken cancellationToken = default) => ExchangeAsync(async ct =>
    {
        if (ServerProtocolVersion < 3)
        {
            return false;
        }

        var message = new ArrayBufferWriter<byte>(2);
        RemctlMessageWriter.WriteNoop(message);
        await WriteTokensAsync(RemctlLimits.DataV2, [_context!.Wrap(message.WrittenSpan)], ct);
        var reply = await ReadMessageAsync(ct);
        switch (reply)
        {
            case RemctlNoopMessage:
                return true;
            case RemctlVersionMessage version:
                ServerProtocolVersion = Math.Min((int)version.HighestSupported, 2);
                return false;
            default:
                throw new RemctlProtocolException(RemctlErrorCode.UnexpectedMessage, $"Unexpected {reply.Type} in reply to NOOP");
        }
    }, cancellationToken);

    /// <summary>
    /// One exchange on the connection, one at a time: a failure (I/O, protocol, cancel, timeout)
    /// leaves the connection unusable and is reported as a <see cref="RemctlException"/>.
    /// </summary>
    private async Task<T> ExchangeAsync<T>(Func<CancellationToken, Task<T>> exchange, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            EnsureUsable();
            try
            {
                return await exchange(cancellationToken);
            }
            catch (Exception ex) when (ex is IOException or RemctlException or OperationCanceledException or TimeoutException)
            {
                _broken = true;
                var wrapped = Wrap(ex);
                if (!ReferenceEquals(wrapped, ex))
                {
                    throw wrapped;
                }

                throw;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<RemctlResult> ReadResultAsync(RemctlOutputCallback? onOutput, CancellationToken cancellationToken)
    {
        var stdout = onOutput is null ? new ArrayBufferWriter<byte>() : null;
        var stderr = onOutput is null ? new ArrayBufferWriter<byte>() : null;
        while (true)
        {
            var message = await ReadMessageAsync(cancellationToken);
            switch (message)
            {
                case RemctlOutputMessage output when output.Stream is 1 or 2:
                    if (onOutput is not null)
                    {
                        await onOutput(output.Stream, output.Data, cancellationToken);
                    }
                    else
                    {
                        (output.Stream == 1 ? stdout! : stderr!).Write(output.Data.Span);
                    }

                    break;

                case RemctlOutputMessage output:
                    throw new RemctlProtocolException(RemctlErrorCode.BadToken, $"Unexpected output stream {output.Stream} from server");

                case RemctlStatusMessage status:
                    return new RemctlResult
                    {
                        ExitStatus = status.ExitStatus,
                        Stdout = stdout?.WrittenMemory ?? default,
                        Stderr = stderr?.WrittenMemory ?? default,
                    };

                case RemctlErrorMessage error:
                    return new RemctlResult
                    {
                        ErrorCode = error.Code,
                        ErrorMessage = error.MessageText,
                        Stdout = stdout?.WrittenMemory ?? default,
                        Stderr = stderr?.WrittenMemory ?? default,
                    };

                default:
                    throw new RemctlProtocolException(RemctlErrorCode.UnexpectedMessage, $"Unexpected {message.Type} from server");
            }
        }
    }

    private async Task<RemctlMessage> ReadMessageAsync(CancellationToken cancellationToken)
    {
        var token = await ReadTokenAsync(_options.Timeout, cancellationToken);
        if (token.Flags != RemctlLimits.DataV2)
        {
            throw new RemctlProtocolException(RemctlErrorCode.BadToken, $"Unexpected token flags 0x{(byte)token.Flags:x2} from server");
        }

        return RemctlMessageReader.Parse(_context!.Unwrap(token.Payload));
    }

    private async Task SendQuitAsync()
    {
        try
        {
            var message = new ArrayBufferWriter<byte>(2);
            RemctlMessageWriter.WriteQuit(message);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await WriteTokensAsync(RemctlLimits.DataV2, [_context!.Wrap(message.WrittenSpan)], cts.Token);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or RemctlException)
        {
            // QUIT is a courtesy: the connection is being closed either way.
            _broken = true;
        }
    }

    private void EnsureUsable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_broken || _context is null)
        {
            throw new RemctlException("The remctl connection is no longer usable; connect again");
        }
    }

    private Exception Wrap(Exception ex) => ex switch
    {
        RemctlException or TimeoutException => ex,
        OperationCanceledException => ex,
        _ => new RemctlException($"remctl connection to {Host} failed: {ex.Message}", ex),
    };
}
