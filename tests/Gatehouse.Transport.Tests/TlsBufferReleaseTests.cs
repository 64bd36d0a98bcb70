using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Gatehouse.Transport.Security;

namespace Gatehouse.Transport.Tests;

/// <summary>
/// <see cref="TlsBufferRelease"/> on real OpenSSL connections: the mode is off by default, set
/// after enabling, and the connection still carries data both ways, in records of every size.
/// </summary>
public class TlsBufferReleaseTests
{
    private const long ReleaseBuffers = 0x10;

    private static async Task<(SslStream Server, SslStream Client)> HandshakeAsync()
    {
        using var server = PeerIdentity.CreateEphemeral("server");
        using var client = PeerIdentity.CreateEphemeral("client");
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var acceptTask = listener.AcceptSocketAsync();
        var dialSocket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await dialSocket.ConnectAsync((IPEndPoint)listener.LocalEndpoint);
        var serverSsl = new SslStream(new NetworkStream(await acceptTask, true));
        var clientSsl = new SslStream(new NetworkStream(dialSocket, true));
        await Task.WhenAll(
            serverSsl.AuthenticateAsServerAsync(TlsSettings.ServerOptions(server)),
            clientSsl.AuthenticateAsClientAsync(TlsSettings.ClientOptions(client, "localhost", _ => true, new StrongBox<Fingerprint>())));
        return (serverSsl, clientSsl);
    }

    [Fact]
    public void Is_supported_on_linux_with_openssl_3()
    {
        // CI and every supported platform are Linux with libssl 3: the feature must be live there,
        // not silently off.
        Assert.Equal(OperatingSystem.IsLinux(), TlsBufferRelease.IsSupported);
    }

    [Fact]
    public async Task Sets_the_mode_and_the_connection_still_carries_data_both_ways()
    {
        var (server, client) = await HandshakeAsync();
        await using var _s = server;
        await using var _c = client;
        Assert.Equal(0, TlsBufferRelease.GetMode(server)!.Value & ReleaseBuffers);

        Assert.True(TlsBufferRelease.TryEnable(server));
        Assert.True(TlsBufferRelease.TryEnable(client));
        Assert.Equal(ReleaseBuffers, TlsBufferRelease.GetMode(server)!.Value & ReleaseBuffers);
        Assert.Equal(ReleaseBuffers, TlsBufferRelease.GetMode(client)!.Value & ReleaseBuffers);

        // Sizes around and across the 16 KiB record limit, so buffers are freed and taken again
        // between records, within a record and with records split over several reads.
        var random = new Random(7);
        foreach (int size in new[] { 1, 100, 16_383, 16_384, 16_385, 70_000, 1 << 20, 5 })
        {
            var sent = new byte[size];
            random.NextBytes(sent);
            var back = new byte[size];
            var write = client.WriteAsync(sent).AsTask();
            var echo = Task.Run(async () =>
            {
                var got = new byte[size];
                await server.ReadExactlyAsync(got);
                await server.WriteAsync(got);
            });
            await client.ReadExactlyAsync(back).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            await Task.WhenAll(write, echo);
            Assert.True(sent.AsSpan().SequenceEqual(back), $"{size} bytes came back changed");
        }
    }

    [Fact]
    public async Task Refuses_quietly_before_the_handshake_and_after_dispose()
    {
        await using (var unauthenticated = new SslStream(new MemoryStream()))
        {
            Assert.False(TlsBufferRelease.TryEnable(unauthenticated));
        }

        var (server, client) = await HandshakeAsync();
        await client.DisposeAsync();
        await server.DisposeAsync();
        Assert.False(TlsBufferRelease.TryEnable(server));
        Assert.Null(TlsBufferRelease.GetMode(server));
    }
}
