using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Gatehouse.Functional.Tests;
using Gatehouse.Remctl.Protocol;
using Gatehouse.Remctl.Tests.Infrastructure;

namespace Gatehouse.Interop.Tests;

/// <summary>
/// Issue 12, fault 7: each unauthenticated connection to the gateway's remctl port could make it buffer a
/// 1 MiB token for the whole handshake timeout (1,000 connections: 71 MB to 1.1 GB). Before authentication
/// a token may be at most <see cref="Remctl.RemctlServerOptions.MaxPreAuthTokenBytes"/> (64 KiB): a larger
/// declared length is refused at its header, before its body is buffered.
/// </summary>
[Collection(KerberosCollection.Name)]
public sealed class RemctlPreAuthMemoryTests(KerberosRealm realm)
{
    [Fact]
    public async Task A_thousand_unauthenticated_connections_sending_1_MiB_tokens_stay_far_below_what_they_send()
    {
        const int connections = 1000;
        await using var gw = await TestGateway.StartAsync(o => o with
        {
            RemctlListen = "127.0.0.1:0",
            RemctlKeytab = realm.HostKeytab,
            Limits = new Gateway.GatewayLimits { MaxConnectionsPerAddress = 2000 },
        });
        int port = gw.Server.RemctlEndpoint!.Port;
        var body = new byte[RemctlLimits.MaxTokenPayload];
        using var self = Process.GetCurrentProcess();
        GC.Collect();
        self.Refresh();
        long before = self.WorkingSet64;
        long peak = before;
        var sockets = new List<Socket>();
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                self.Refresh();
                Interlocked.Exchange(ref peak, Math.Max(Interlocked.Read(ref peak), self.WorkingSet64));
                await Task.Delay(100);
            }
        });
        try
        {
            var sends = new List<Task>();
            for (int i = 0; i < connections; i++)
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, port);
                sockets.Add(socket);
                var header = new byte[5 + 5];
                header[0] = (byte)RemctlLimits.InitialV2;
                header[5] = (byte)RemctlLimits.ContextV2;
                BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(6), (uint)body.Length);
                sends.Add(SendIgnoringResetAsync(socket, header, body));
            }

            await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(90));
            await Task.Delay(5000);
        }
        finally
        {
            await sampling.CancelAsync();
            await sampler;
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
        }

        // This process's resident size also holds the test's own sockets and whatever Kestrel read
        // before a header was refused (measured 60-283 MiB, depending on load); with the old limits
        // (1 MiB tokens for 30 s) it was 853 MiB.
        long grown = Interlocked.Read(ref peak) - before;
        Assert.True(grown < 500L * 1024 * 1024, $"the gateway grew by {grown / (1024 * 1024)} MiB for {connections} unauthenticated remctl connections");
        Assert.Empty(gw.Errors.Entries);
    }

    private static async Task SendIgnoringResetAsync(Socket socket, byte[] header, byte[] body)
    {
        try
        {
            await socket.SendAsync(header);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            // One byte short: the token never completes, so a server that buffers it holds it all.
            await socket.SendAsync(body.AsMemory(0, body.Length - 1), cts.Token);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            // The gateway refused the token at its header and closed the connection (or stopped reading it).
        }
    }
}
