using System.Net;
using System.Net.Sockets;
using System.Text;
using Gatehouse.Remctl.Gss;
using Gatehouse.Remctl.Protocol;
using Gatehouse.Remctl.Tests.Infrastructure;

namespace Gatehouse.Remctl.Tests.Interop;

/// <summary>Our client against our server, and against a fake version 2 server (NOOP fallback).</summary>
[Collection(KerberosCollection.Name)]
public sealed class ClientAgainstGatehouseTests(KerberosRealm realm, Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TestDispatcher _dispatcher = new();
    private RemctlTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RemctlTestServer.StartAsync(realm, _dispatcher);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private RemctlClientOptions Options => new() { Port = _server.Port, CredentialCache = realm.CredentialCache };

    [Fact]
    public async Task Binary_arguments_round_trip_and_noop_works()
    {
        await using var client = await RemctlClient.ConnectAsync("localhost", Options);
        ReadOnlyMemory<byte>[] args = ["len"u8.ToArray(), new byte[] { 0, 255, 10, 13 }, new byte[200_000], Array.Empty<byte>()];
        var result = await client.ExecuteAsync(args, null);
        Assert.Equal("4 200000 0\n", Encoding.UTF8.GetString(result.Stdout.Span));
        Assert.Equal(new byte[] { 0, 255, 10, 13 }, _dispatcher.LastRequest!.Arguments[1].ToArray());
        Assert.Equal(2, _dispatcher.LastRequest!.ProtocolVersion);
        Assert.True(await client.NoopAsync());
        await client.ExecuteAsync(["echo", "after"]);
        Assert.Equal(3, _dispatcher.LastRequest!.ProtocolVersion);
    }

    [Fact]
    public async Task Stdout_and_stderr_are_collected_separately()
    {
        await using var client = await RemctlClient.ConnectAsync("localhost", Options);
        var result = await client.ExecuteAsync(["stderr", "boom"]);
        Assert.Equal(3, result.ExitStatus);
        Assert.Equal("out\n", Encoding.UTF8.GetString(result.Stdout.Span));
        Assert.Equal("boom\n", Encoding.UTF8.GetString(result.Stderr.Span));
    }

    [Fact]
    public async Task Principal_from_an_explicit_ticket_cache_reaches_the_dispatcher()
    {
        string ccache = "FILE:" + Path.Combine(realm.Dir, "bob-gh.ccache");
        await realm.KinitAsync(KerberosRealm.OtherPrincipal, Path.Combine(realm.Dir, "bob.keytab"), ccache);
        await using var client = await RemctlClient.ConnectAsync("localhost", Options with { CredentialCache = ccache });
        var result = await client.ExecuteAsync(["whoami"]);
        Assert.StartsWith(KerberosRealm.OtherPrincipal + "\n", Encoding.UTF8.GetString(result.Stdout.Span));
        Assert.Equal(KerberosRealm.OtherPrincipal, _dispatcher.LastRequest!.Principal);
    }

    [Fact]
    public async Task Acceptor_principal_pinning_rejects_tickets_for_another_principal()
    {
        // The server accepts only host/other@REALM, which is not in its keytab: acquiring fails at start-up.
        var options = new RemctlServerOptions { KeytabPath = realm.HostKeytab, AcceptorPrincipal = "host/other@" + KerberosRealm.Realm };
        Assert.Throws<RemctlGssException>(() => new RemctlConnectionHandler(options, _dispatcher));

        // Pinned to the right principal it works.
        await using var pinned = await RemctlTestServer.StartAsync(realm, _dispatcher,
            new RemctlServerOptions { KeytabPath = realm.HostKeytab, AcceptorPrincipal = KerberosRealm.HostPrincipal });
        await using var client = await RemctlClient.ConnectAsync("localhost", Options with { Port = pinned.Port });
        Assert.Equal(0, (await client.ExecuteAsync(["echo", "pinned"])).ExitStatus);
    }

    [Fact]
    public void Missing_keytab_fails_at_handler_creation()
        => Assert.Throws<RemctlGssException>(() => new RemctlConnectionHandler(
            new RemctlServerOptions { KeytabPath = Path.Combine(realm.Dir, "missing.keytab") }, _dispatcher));

    [Fact]
    public async Task Commands_with_output_do_not_stall_on_delayed_ack()
    {
        // 200 commands with output on one connection: without TCP_NODELAY and coalescing, each would stall
        // on delayed ACK (~40 ms); bound the whole run well below that.
        await using var client = await RemctlClient.ConnectAsync("localhost", Options);
        await client.ExecuteAsync(["echo", "warm-up"]);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 200; i++)
        {
            Assert.Equal(0, (await client.ExecuteAsync(["echo", "x"])).ExitStatus);
        }

        output.WriteLine($"Gatehouse: 200 commands with output in {watch.Elapsed.TotalMilliseconds:F0} ms");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(4), $"200 commands took {watch.Elapsed}");
    }

    [Fact]
    public async Task Client_falls_back_to_version_2_when_the_server_answers_noop_with_version()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var credential = GssCredential.AcquireAcceptor(realm.HostKeytab, null, null);

        // A minimal version 2 server: answers NOOP with MESSAGE_VERSION 2, then one command with STATUS 0.
        var fake = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            await using var peer = RawRemctlConnection.FromAccepted(socket);
            await peer.AcceptAsync(credential);
            Assert.IsType<RemctlNoopMessage>(await peer.ReadMessageAsync());
            await peer.SendMessageAsync(w => RemctlMessageWriter.WriteVersion(w, 2));
            Assert.IsType<RemctlCommandMessage>(await peer.ReadMessageAsync());
            await peer.SendMessageAsync(w => RemctlMessageWriter.WriteStatus(w, 0));
            Assert.IsType<RemctlQuitMessage>(await peer.ReadMessageAsync());
        });

        await using (var client = await RemctlClient.ConnectAsync("localhost", Options with { Port = port }))
        {
            Assert.False(await client.NoopAsync());
            Assert.Equal(2, client.ServerProtocolVersion);
            Assert.False(await client.NoopAsync()); // nothing sent this time
            Assert.Equal(0, (await client.ExecuteAsync(["anything"])).ExitStatus);
        }

        await fake.WaitAsync(TimeSpan.FromSeconds(20));
    }
}
