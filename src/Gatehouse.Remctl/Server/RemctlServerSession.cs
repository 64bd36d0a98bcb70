using Gatehouse.Protocol;
using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using Gatehouse.Remctl.Gss;
using Gatehouse.Remctl.Protocol;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Remctl.Server;

/// <summary>
/// One remctl server connection over a duplex pipe: context negotiation (<c>.Handshake.cs</c>), the message
/// loop (<c>.Messages.cs</c>) and command dispatch (<c>.Dispatch.cs</c>) of protocol versions 2 and 3, or the
/// single command of protocol version 1 (<c>.Version1.cs</c>). The session owns the
/// <see cref="PipeReader"/>; all writes go through one <see cref="RemctlTokenSender"/>.
/// </summary>
internal sealed partial class RemctlServerSession
{
    private readonly IDuplexPipe _transport;
    private readonly GssCredential _credential;
    private readonly RemctlServerOptions _options;
    private readonly IRemctlDispatcher _dispatcher;
    private readonly ILogger _logger;
    private readonly IPEndPoint? _remote;
    private readonly string _id;
    private readonly RemctlTokenSender _sender;

    // Small until the context is established (see RemctlServerOptions.MaxPreAuthTokenBytes), then remctl's limit.
    private RemctlTokenReader _tokenReader;

    // abort: see RemctlConnectionHandler.RunSessionAsync.
    public RemctlServerSession(IDuplexPipe transport, GssCredential credential, RemctlServerOptions options,
        IRemctlDispatcher dispatcher, ILogger logger, IPEndPoint? remote, string connectionId, Action? abort = null)
    {
        _transport = transport;
        _credential = credential;
        _options = options;
        _dispatcher = dispatcher;
        _logger = logger;
        _remote = remote;
        _id = connectionId;
        _tokenReader = new RemctlTokenReader(options.MaxPreAuthTokenBytes);
        _sender = new RemctlTokenSender(transport.Output, writeTimeout: options.WriteTimeout, onStalled: () =>
        {
            RemctlServerLog.WriteTimeout(logger, connectionId, options.WriteTimeout);
            if (abort is not null)
            {
                abort();
            }
            else
            {
                // No way to drop the transport: stop reading, so the session ends.
                transport.Input.CancelPendingRead();
            }
        });
    }

    /// <summary>Runs the connection to its end. Never throws for peer misbehaviour or transport errors.</summary>
    public async Task RunAsync(CancellationToken connectionClosed)
    {
        RemctlServerLog.ConnectionOpened(_logger, _id, _remote?.ToString());
        _sender.Start();
        GssContext? context = null;
        try
        {
            (context, int version) = await HandshakeAsync(connectionClosed);
            if (context is not null)
            {
                _tokenReader = new RemctlTokenReader();
                if (version == 1)
                {
                    await ServeVersion1Async(context, connectionClosed);
                }
                else
                {
                    await MessageLoopAsync(context, connectionClosed);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The connection was aborted (ConnectionAbortedException is an OperationCanceledException) or the
            // server is going away: nothing more to say to this peer; the finally block logs the close.
        }
        catch (Exception ex) when (ex is IOException or System.Threading.Channels.ChannelClosedException
                                       or Microsoft.AspNetCore.Connections.ConnectionResetException)
        {
            RemctlServerLog.TransportError(_logger, ex, _id);
        }
        finally
        {
            await _sender.CompleteAsync();
            await _transport.Input.CompleteAsync();
            await _transport.Output.CompleteAsync();
            context?.Dispose();
            RemctlServerLog.ConnectionClosed(_logger, _id);
        }
    }

    /// <summary>
    /// Reads one token and copies its payload out. Returns null on a clean end of stream between tokens.
    /// </summary>
    /// <exception cref="RemctlProtocolException">Oversize declared length, or the stream ended inside a token.</exception>
    private async ValueTask<(RemctlTokenFlags Flags, byte[] Payload)?> ReadTokenAsync(CancellationToken cancellationToken)
    {
        var input = _transport.Input;
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            var consumed = buffer.Start;
            var examined = buffer.End;
            try
            {
                if (_tokenReader.TryParseMessage(buffer, ref consumed, ref examined, out var token))
                {
                    return (token.Flags, token.Payload.ToArray());
                }

                if (result.IsCompleted || result.IsCanceled)
                {
                    return buffer.IsEmpty
                        ? null
                        : ThrowHelper.Protocol<(RemctlTokenFlags, byte[])?>(RemctlErrorCode.BadToken, "Connection closed inside a token");
                }
            }
            finally
            {
                input.AdvanceTo(consumed, examined);
            }
        }
    }

    /// <summary>
    /// Reads a token with a deadline; a timeout surfaces as <see cref="TimeoutException"/>. Reads are not tied
    /// to the connection-closed token: a client's half-close completes the reader, so a token cut short by end
    /// of stream is reported as such instead of racing with the close notification.
    /// </summary>
    private async ValueTask<(RemctlTokenFlags Flags, byte[] Payload)?> ReadTokenAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            return await ReadTokenAsync(cts.Token);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException();
        }
    }
}
