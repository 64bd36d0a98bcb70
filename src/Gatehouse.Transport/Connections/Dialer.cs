using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using Gatehouse.Protocol;
using Gatehouse.Transport.Mux;
using Gatehouse.Transport.Security;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Transport.Connections;

/// <summary>
/// Opens an authenticated Gatehouse connection: TCP connect, TLS with both certificates and the
/// server pinned by fingerprint, ALPN check, HELLO exchange, all within the connect timeout.
/// </summary>
public static class Dialer
{
    /// <summary>Connects to <paramref name="endpoint"/> as <paramref name="identity"/>.</summary>
    /// <param name="pin">Approves the server's fingerprint.</param>
    /// <param name="options">How long the connect may take (TCP, TLS and HELLO together).</param>
    /// <param name="muxOptions">The connection's behaviour once up (its <see cref="MuxOptions.HelloTimeout"/> is replaced by <see cref="ConnectionOptions.ConnectTimeout"/>).</param>
    /// <param name="onRequest">Serves requests the peer opens, from the first one on (even one sent with the peer's HELLO); null: refused.</param>
    /// <exception cref="ConnectException">Every failure, typed by <see cref="ConnectFailure"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of its range.</exception>
    public static async Task<MuxConnection> ConnectAsync(
        Endpoint endpoint,
        PeerIdentity identity,
        Func<Fingerprint, bool> pin,
        ConnectionOptions options,
        MuxOptions? muxOptions = null,
        ILogger? logger = null,
        Action<MuxStream>? onRequest = null,
        CancellationToken cancellationToken = default)
    {
        options.Validate();
        var connectionOptions = (muxOptions ?? new MuxOptions()) with { Name = endpoint.ToString(), HelloTimeout = options.ConnectTimeout };
        connectionOptions.Validate();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        var token = timeout.Token;
        string where = endpoint.ToString();
        Socket? socket = null;
        SslStream? ssl = null;
        var seen = new StrongBox<Fingerprint>();
        try
        {
            socket = await OpenSocketAsync(endpoint, token).ConfigureAwait(false);
            ssl = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
            await ssl.AuthenticateAsClientAsync(TlsSettings.ClientOptions(identity, endpoint.Host, pin, seen), token).ConfigureAwait(false);
            if (ssl.NegotiatedApplicationProtocol != TlsSettings.Alpn)
            {
                throw new ConnectException(ConnectFailure.Protocol, $"{where} does not speak gatehouse/1 (ALPN)");
            }

            var mux = new MuxConnection(MuxTransport.FromStream(ssl), isDialer: true, connectionOptions, logger, onRequest);
            try
            {
                await mux.StartAsync(token).ConfigureAwait(false);
            }
            catch (ConnectionRefusedException ex)
            {
                await mux.DisposeAsync().ConfigureAwait(false);
                throw new ConnectException(ConnectFailure.Rejected, $"{where} refused this identity ({identity.Fingerprint}): {ex.Message}", ex, seen.Value);
            }
            catch (OperationCanceledException)
            {
                // The caller's token or the connect timeout fired while waiting for the HELLO: the
                // connection is closed and awaited here, so nothing of it is left running (or faulting unobserved).
                await mux.DisposeAsync().ConfigureAwait(false);
                throw;
            }
            catch (Exception ex) when (ex is TimeoutException or ConnectionClosedException or ProtocolException)
            {
                await mux.DisposeAsync().ConfigureAwait(false);
                throw ex is TimeoutException
                    ? new ConnectException(ConnectFailure.Timeout, $"{where}: no HELLO within {options.ConnectTimeout.TotalSeconds:0.###} s", ex, seen.Value)
                    : new ConnectException(ConnectFailure.Protocol, $"{where}: {ex.Message}", ex, seen.Value);
            }

            return mux;
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            Dispose(ssl, socket);
            throw new ConnectException(ConnectFailure.Timeout, $"{where}: connect timed out after {options.ConnectTimeout.TotalSeconds:0.###} s", ex, seen.Value);
        }
        catch (AuthenticationException ex)
        {
            Dispose(ssl, socket);
            if (!seen.Value.IsEmpty && !pin(seen.Value))
            {
                throw new ConnectException(ConnectFailure.FingerprintMismatch, $"{where} presented {seen.Value}, which is not the pinned fingerprint", ex, seen.Value);
            }

            throw new ConnectException(ConnectFailure.Tls, $"{where}: TLS handshake failed: {ex.Message}", ex, seen.Value);
        }
        catch (SocketException ex)
        {
            Dispose(ssl, socket);
            var failure = ex.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => ConnectFailure.Refused,
                SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => ConnectFailure.Unresolved,
                SocketError.TimedOut => ConnectFailure.Timeout,
                _ => ConnectFailure.Network,
            };
            throw new ConnectException(failure, $"{where}: {ex.Message}", ex);
        }
        catch (IOException ex)
        {
            Dispose(ssl, socket);
            throw new ConnectException(ConnectFailure.Network, $"{where}: {ex.Message}", ex, seen.Value);
        }
    }

    private static async Task<Socket> OpenSocketAsync(Endpoint endpoint, CancellationToken token)
    {
        IPAddress[] addresses = IPAddress.TryParse(endpoint.Host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endpoint.Host, token).ConfigureAwait(false);
        if (addresses.Length == 0)
        {
            throw new SocketException((int)SocketError.HostNotFound);
        }

        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, endpoint.Port), token).ConfigureAwait(false);
                return socket;
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw last!;
    }

    private static void Dispose(SslStream? ssl, Socket? socket)
    {
        if (ssl is not null)
        {
            ssl.Dispose();
        }
        else
        {
            socket?.Dispose();
        }
    }
}
