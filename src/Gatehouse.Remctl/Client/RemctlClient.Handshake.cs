using Gatehouse.Protocol;
using System.Net;
using System.Net.Sockets;
using Gatehouse.Remctl.Gss;
using Gatehouse.Remctl.Protocol;

namespace Gatehouse.Remctl;

public sealed partial class RemctlClient
{
    /// <summary>
    /// Connects to <paramref name="host"/> and authenticates with Kerberos as initiator (mutual, confidentiality
    /// and integrity required) to <c>host@HOST</c> or <see cref="RemctlClientOptions.ServerPrincipal"/>.
    /// </summary>
    /// <exception cref="TimeoutException">Connect and handshake took longer than <see cref="RemctlClientOptions.ConnectTimeout"/>.</exception>
    /// <exception cref="RemctlGssException">Authentication failed (no ticket, unknown server principal...).</exception>
    /// <exception cref="RemctlException">The server refused the connection or speaks only protocol version 1.</exception>
    public static async Task<RemctlClient> ConnectAsync(string host, RemctlClientOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        options ??= new RemctlClientOptions();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(options.ConnectTimeout);

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        RemctlClient? client = null;
        try
        {
            EndPoint endPoint = Resolve(host, options.Port) ?? (EndPoint)new DnsEndPoint(host, options.Port);
            await socket.ConnectAsync(endPoint, cts.Token);
            client = new RemctlClient(socket, host, options);
            await client.HandshakeAsync(cts.Token);
            var connected = client;
            client = null;
            return connected;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Connecting to remctl server {host}:{options.Port} took longer than {options.ConnectTimeout}");
        }
        catch (SocketException ex)
        {
            throw new RemctlException($"Cannot connect to {host} (port {options.Port}): {ex.Message}", ex);
        }
        finally
        {
            if (client is not null)
            {
                client._broken = true;
                await client.DisposeAsync();
            }
            else if (!socket.Connected)
            {
                socket.Dispose();
            }
        }
    }

    /// <summary>
    /// Client side of context negotiation (draft section 2.2):
    /// <code>
    /// send 0x51 (NOOP|CONTEXT_NEXT|PROTOCOL), empty
    /// loop: send 0x42 gss_init_sec_context output; while CONTINUE_NEEDED read 0x42 reply
    /// </code>
    /// A reply without TOKEN_PROTOCOL means a version 1 server, which this client refuses (no downgrade).
    /// </summary>
    private async Task HandshakeAsync(CancellationToken cancellationToken)
    {
        GssName target = _options.ServerPrincipal is null
            ? GssName.HostBasedService("host@" + Host)
            : GssName.Krb5Principal(_options.ServerPrincipal);
        GssCredential? credential = null;
        try
        {
            credential = _options.CredentialCache is null ? null : GssCredential.AcquireInitiator(_options.CredentialCache, null);
        }
        catch
        {
            target.Dispose();
            throw;
        }

        var context = GssContext.CreateInitiator(target, credential);
        _context = context;
        using (credential)
        {
            await WriteTokensAsync(RemctlLimits.InitialV2, [[]], cancellationToken);
            byte[] input = [];
            while (true)
            {
                // gss_init_sec_context may talk to the KDC synchronously: keep it off the caller's thread.
                byte[] current = input;
                var step = await Task.Run(() => context.Step(current), cancellationToken);
                if (step.OutputToken is { Length: > 0 } output)
                {
                    await WriteTokensAsync(RemctlLimits.ContextV2, [output], cancellationToken);
                }

                if (step.Error is not null)
                {
                    throw step.Error;
                }

                if (step.Complete)
                {
                    break;
                }

                var reply = await ReadTokenAsync(_options.ConnectTimeout, cancellationToken);
                if ((reply.Flags & RemctlTokenFlags.Protocol) == 0)
                {
                    throw new RemctlException($"remctl server {Host} speaks only protocol version 1, which is not supported");
                }

                if (reply.Flags != RemctlLimits.ContextV2)
                {
                    throw new RemctlProtocolException(RemctlErrorCode.BadToken, $"Unexpected token flags 0x{(byte)reply.Flags:x2} during negotiation");
                }

                input = reply.Payload;
            }
        }

        if ((context.Flags & GssContext.RequiredFlags) != GssContext.RequiredFlags)
        {
            throw new RemctlException("Server did not negotiate acceptable GSS-API flags");
        }
    }
}
