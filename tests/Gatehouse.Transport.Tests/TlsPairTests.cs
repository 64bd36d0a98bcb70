using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Gatehouse.Protocol;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Mux;
using Gatehouse.Transport.Security;

namespace Gatehouse.Transport.Tests;

public class TlsPairTests
{
    /// <summary>Two MuxConnections over real TLS on loopback, both through <see cref="MuxTransport.FromStream"/>.</summary>
    internal static async Task<(MuxConnection Dialer, MuxConnection Acceptor)> StartTlsPairAsync(Action<MuxStream> onAcceptorRequest)
    {
        using var server = PeerIdentity.CreateEphemeral("server");
        using var client = PeerIdentity.CreateEphemeral("client");
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var acceptTask = listener.AcceptSocketAsync();
        var dialSocket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await dialSocket.ConnectAsync((IPEndPoint)listener.LocalEndpoint);
        var acceptSocket = await acceptTask;
        var serverSsl = new SslStream(new NetworkStream(acceptSocket, true));
        var clientSsl = new SslStream(new NetworkStream(dialSocket, true));
        var seen = new StrongBox<Fingerprint>();
        await Task.WhenAll(
            serverSsl.AuthenticateAsServerAsync(TlsSettings.ServerOptions(server)),
            clientSsl.AuthenticateAsClientAsync(TlsSettings.ClientOptions(client, "localhost", _ => true, seen)));
        Assert.Equal(TlsSettings.Alpn, clientSsl.NegotiatedApplicationProtocol);
        var d = new MuxConnection(MuxTransport.FromStream(clientSsl), isDialer: true);
        var a = new MuxConnection(MuxTransport.FromStream(serverSsl), isDialer: false, onRequest: onAcceptorRequest);
        await Task.WhenAll(d.StartAsync(), a.StartAsync());
        return (d, a);
    }

    [Theory]
    [InlineData(65_536, 256)]
    [InlineData(10_000, 500)]
    public async Task Output_over_tls_pipes_arrives_intact(int chunk, int chunks)
    {
        var (d, a) = await StartTlsPairAsync(s => _ = Task.Run(async () =>
        {
            var data = new byte[chunk];
            for (int i = 0; i < chunks; i++)
            {
                data.AsSpan().Fill((byte)i);
                await s.WriteAsync(1, data);
            }

            s.Complete(CallStatus.Exit(0));
        }));
        await using var _d = d;
        await using var _a = a;
        var stream = await d.OpenStreamAsync(new RequestHeader { Domain = "d", Command = "c" }, endStream: true);
        var (output, status) = await MuxStreamTests.ReadAllAsync(stream).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(CallStatus.Exit(0), status);
        byte[] all = output[1].ToArray();
        Assert.Equal(chunk * chunks, all.Length);
        for (int i = 0; i < all.Length; i++)
        {
            if (all[i] != (byte)(i / chunk))
            {
                Assert.Fail($"byte {i}: expected {(byte)(i / chunk)} got {all[i]}");
            }
        }
    }
}
