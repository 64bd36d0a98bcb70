using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Gatehouse.Transport.Security;

namespace Gatehouse.Functional.Tests;

/// <summary>
/// A hand-driven TLS client for hostile tests: writes whatever frames a test builds (any HELLO
/// settings, no flow control), and reads only when told to, so it can stop reading entirely.
/// </summary>
internal sealed class RawGatewayClient : IAsyncDisposable
{
    private readonly SslStream _ssl;

    private RawGatewayClient(SslStream ssl) => _ssl = ssl;

    /// <summary>Connects with <paramref name="identity"/>; a small receive buffer makes a non-reading client's socket fill fast.</summary>
    public static async Task<RawGatewayClient> ConnectAsync(int port, PeerIdentity identity, int receiveBuffer = 8192)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = receiveBuffer };
        await socket.ConnectAsync(IPAddress.Loopback, port);
        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true));
        await ssl.AuthenticateAsClientAsync(TlsSettings.ClientOptions(identity, "localhost", _ => true, new StrongBox<Fingerprint>()));
        return new RawGatewayClient(ssl);
    }

    /// <summary>Writes the frames <paramref name="write"/> produces.</summary>
    public async Task SendAsync(Action<IBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        await _ssl.WriteAsync(buffer.WrittenMemory);
        await _ssl.FlushAsync();
    }

    /// <summary>Reads and discards until the gateway closes the connection; false if it is still open after <paramref name="within"/>.</summary>
    public async Task<bool> IsClosedByPeerAsync(TimeSpan within)
    {
        var buffer = new byte[64 * 1024];
        using var cts = new CancellationTokenSource(within);
        try
        {
            while (await _ssl.ReadAsync(buffer, cts.Token) > 0)
            {
            }

            return true;
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _ssl.DisposeAsync();
        }
        catch (IOException)
        {
            // Already reset by the gateway.
        }
    }
}
