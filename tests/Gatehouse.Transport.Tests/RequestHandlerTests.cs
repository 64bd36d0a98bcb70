using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Gatehouse.Protocol;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Mux;
using Gatehouse.Transport.Security;

namespace Gatehouse.Transport.Tests;

/// <summary>
/// The request handler is given when a connection is built. It used to be a property set after
/// <see cref="Dialer.ConnectAsync"/> returned, so a request the gateway sent right after its HELLO
/// (before the service had set the handler) was refused with UNAVAILABLE.
/// </summary>
public class RequestHandlerTests
{
    [Fact]
    public async Task A_request_sent_right_after_the_hello_is_served_by_a_dialed_connection()
    {
        using var serverIdentity = PeerIdentity.CreateEphemeral("server");
        using var clientIdentity = PeerIdentity.CreateEphemeral("client");
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var endpoint = new Endpoint("127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port);

        // The acceptor: TLS, then its HELLO and a REQUEST in one write, so the dialer reads both at once.
        var acceptor = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            await using var ssl = new SslStream(new NetworkStream(socket, ownsSocket: false));
            await ssl.AuthenticateAsServerAsync(TlsSettings.ServerOptions(serverIdentity));
            var peer = new RawPeer(PipeReader.Create(ssl), PipeWriter.Create(ssl));
            await peer.SendAsync(o =>
            {
                FrameWriter.WriteHello(o, ProtocolSettings.Default);
                FrameWriter.WriteRequest(o, 2, new RequestHeader { Domain = "d", Command = "early" }, endStream: true, ProtocolSettings.Default.MaxFrameSize);
            });
            return await peer.ReadStatusAsync(2);
        });

        await using var connection = await Dialer.ConnectAsync(endpoint, clientIdentity, fp => fp == serverIdentity.Fingerprint,
            new ConnectionOptions { ConnectTimeout = TimeSpan.FromSeconds(10) }, onRequest: s => s.Complete(CallStatus.Exit(42)));

        var status = await acceptor.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(CallStatus.Exit(42), status);
    }
}
