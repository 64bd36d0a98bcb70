using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Gatehouse.Client;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Gateway.Membership;
using Gatehouse.Protocol;
using Gatehouse.Service;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Mux;
using Gatehouse.Transport.Security;

namespace Gatehouse.Functional.Tests;

/// <summary>
/// See-other-host redirects between two real gateways of a cluster: a client that follows them
/// talks to the member hosting the service directly (pinned to the fingerprint the first gateway
/// gave); one that does not is forwarded; the large-input policy; a redirect to a gateway that
/// presents another fingerprint is refused; services cannot redirect.
/// </summary>
public sealed class RedirectTests
{
    private static async Task<(TestGateway A, TestGateway B)> StartPairAsync(RedirectPolicy policy)
    {
        var a = await TestGateway.StartAsync();
        var b = await TestGateway.StartAsync(o => o with
        {
            Cluster = o.Cluster with { Join = [JoinTarget.Parse($"127.0.0.1:{a.Endpoint.Port}={a.Server.Fingerprint}")], Redirect = policy },
        });
        AuthorizedPeers.Upsert(a.Server.Runtime.Options.AuthorizedPath, new PeerGrant(b.Server.Fingerprint, "gw-b", PeerRoles.Gateway, []));
        await a.RunServiceAsync(a.Authorize("svc", PeerRoles.Service, "test"), s => s
            .Map("test", "who", async ctx =>
            {
                await ctx.WriteAsync($"{ctx.User}|via={ctx.GetMetadata("GATEHOUSE_VIA")}");
                return 0;
            })
            .Map("test", "count", async ctx =>
            {
                long n = 0;
                var buffer = new byte[65536];
                int read;
                while ((read = await ctx.Stdin.ReadAsync(buffer, ctx.CancellationToken)) > 0)
                {
                    n += read;
                }

                await ctx.WriteAsync($"{n}|via={ctx.GetMetadata("GATEHOUSE_VIA")}");
                return 0;
            })
            .Map("test", "evil", ctx => throw new CommandException(ErrorCode.SeeOtherHost, $"127.0.0.1:1={a.Server.Fingerprint}")));
        var clock = Stopwatch.StartNew();
        while (b.Server.Membership!.MembersServing("test", "who").Count == 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "b never learned a's routes");
            await Task.Delay(20);
        }

        return (a, b);
    }

    /// <summary>A client of domain <c>test</c> authorized on b and, without waiting for the grant to spread, on a.</summary>
    private static PeerIdentity AuthorizeOnBoth(TestGateway a, TestGateway b, string name)
    {
        var identity = b.Authorize(name, PeerRoles.Client, "test");
        AuthorizedPeers.Upsert(a.Server.Runtime.Options.AuthorizedPath, new PeerGrant(identity.Fingerprint, name, PeerRoles.Client, ["test"]));
        a.Server.Runtime.Authorized.Reload();
        return identity;
    }

    private static GatehouseClient ClientOf(TestGateway b, PeerIdentity identity, bool follow = true) =>
        new(b.Endpoint, b.ClientOptions(identity) with { FollowRedirects = follow });

    [Fact]
    public async Task A_client_that_follows_redirects_ends_up_talking_to_the_member_directly()
    {
        var (a, b) = await StartPairAsync(RedirectPolicy.Redirect);
        await using var _a = a;
        await using var _b = b;
        var alice = AuthorizeOnBoth(a, b, "alice");
        await using var client = ClientOf(b, alice);

        var first = await client.CallAsync(new CallRequest("who") { Domain = "test" });
        Assert.Equal("alice|via=", first.StdoutText); // no GATEHOUSE_VIA: a got it from alice herself
        long bRequests = b.Server.Runtime.GetStatus().Requests;

        // Later calls for the command go straight to a; b does not see them.
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal("alice|via=", (await client.CallAsync(new CallRequest("who") { Domain = "test" })).StdoutText);
        }

        Assert.Equal(bRequests, b.Server.Runtime.GetStatus().Requests);

        // The streaming API follows too.
        await using var call = await client.StartCallAsync(new CallRequest("who") { Domain = "test" });
        var text = new System.Text.StringBuilder();
        await foreach (var chunk in call.ReadOutputAsync())
        {
            text.Append(System.Text.Encoding.UTF8.GetString(chunk.Data.Span));
        }

        Assert.Equal(CallStatus.Exit(0), await call.Completion);
        Assert.Equal("alice|via=", text.ToString());
    }

    [Fact]
    public async Task A_client_that_does_not_follow_redirects_is_forwarded()
    {
        var (a, b) = await StartPairAsync(RedirectPolicy.Redirect);
        await using var _a = a;
        await using var _b = b;
        await using var client = ClientOf(b, b.Authorize("bob", PeerRoles.Client, "test"), follow: false);
        var result = await client.CallAsync(new CallRequest("who") { Domain = "test" });
        Assert.Equal($"bob|via={b.Server.Fingerprint}", result.StdoutText);
    }

    [Fact]
    public async Task A_call_that_streams_stdin_is_forwarded_whole_rather_than_redirected()
    {
        // Seen: with the redirect policy, a client that follows redirects and streams its stdin had
        // its call moved to the member while it was still writing to the first gateway: the stdin
        // written before the redirect was lost (the member counted less, or nothing).
        var (a, b) = await StartPairAsync(RedirectPolicy.Redirect);
        await using var _a = a;
        await using var _b = b;
        var dave = AuthorizeOnBoth(a, b, "dave");
        await using var client = ClientOf(b, dave);
        for (int round = 0; round < 3; round++)
        {
            // Bounded: on the old code the call hung (the service waited for stdin that had gone nowhere).
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await using var call = await client.StartCallAsync(new CallRequest("count") { Domain = "test", StreamsStdin = true }, limit.Token);
            var chunk = new byte[10_000];
            for (int i = 0; i < 20; i++)
            {
                await call.WriteStdinAsync(chunk, limit.Token);
            }

            await call.CompleteStdinAsync(limit.Token);
            var text = new System.Text.StringBuilder();
            await foreach (var output in call.ReadOutputAsync(limit.Token))
            {
                text.Append(System.Text.Encoding.UTF8.GetString(output.Data.Span));
            }

            Assert.Equal(CallStatus.Exit(0), await call.Completion.WaitAsync(limit.Token));
            Assert.Equal($"200000|via={b.Server.Fingerprint}", text.ToString()); // forwarded: b carried every byte
        }

        // Calls that carry their stdin whole are still redirected (the library replays it).
        var whole = await client.CallAsync(new CallRequest("count") { Domain = "test", Stdin = new byte[5000] });
        Assert.Equal("5000|via=", whole.StdoutText);
    }

    [Fact]
    public async Task The_large_input_policy_redirects_only_calls_that_announce_large_input()
    {
        var (a, b) = await StartPairAsync(RedirectPolicy.RedirectLargeInput);
        await using var _a = a;
        await using var _b = b;
        var carol = AuthorizeOnBoth(a, b, "carol");
        await using (var client = ClientOf(b, carol))
        {
            var small = await client.CallAsync(new CallRequest("count") { Domain = "test", Stdin = new byte[1000] });
            Assert.Equal($"1000|via={b.Server.Fingerprint}", small.StdoutText);
        }

        await using (var client = ClientOf(b, carol))
        {
            var large = await client.CallAsync(new CallRequest("count") { Domain = "test", Stdin = new byte[3 * 1024 * 1024] });
            Assert.Equal($"{3 * 1024 * 1024}|via=", large.StdoutText);
        }
    }

    [Fact]
    public async Task A_redirect_to_a_gateway_presenting_another_fingerprint_is_refused_and_the_right_one_is_followed()
    {
        await using var a = await TestGateway.StartAsync();
        await a.RunServiceAsync(a.Authorize("svc", PeerRoles.Service, "test"), s => s.Map("test", "who", async ctx => { await ctx.WriteAsync("a:" + ctx.User); return 0; }));
        var dave = a.Authorize("dave", PeerRoles.Client, "test");

        foreach (bool honest in new[] { false, true })
        {
            var named = honest ? a.Server.Fingerprint : PeerIdentity.CreateEphemeral("impostor").Fingerprint;
            await using var fake = await FakeGateway.StartAsync(SeeOtherHost.Status("127.0.0.1", a.Endpoint.Port, named.ToString()));
            await using var client = new GatehouseClient(fake.Endpoint, new ClientOptions
            {
                Identity = dave,
                Pins = ClientOptions.PinTo(fake.Fingerprint),
                Connection = ConnectionOptions.Default with { ConnectTimeout = TimeSpan.FromSeconds(5), MaxRetries = 0 },
            });
            var result = await client.CallAsync(new CallRequest("who") { Domain = "test" });
            if (honest)
            {
                Assert.Equal("a:dave", result.StdoutText);
            }
            else
            {
                Assert.Equal(ErrorCode.BackendFailed, result.Status.ErrorCode);
                Assert.StartsWith($"Redirected to 127.0.0.1:{a.Endpoint.Port}={named}, which failed", result.Status.Message, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task A_service_cannot_redirect_clients()
    {
        var (a, b) = await StartPairAsync(RedirectPolicy.Forward);
        await using var _a = a;
        await using var _b = b;
        await using var client = ClientOf(a, a.Authorize("erin", PeerRoles.Client, "test"));
        var result = await client.CallAsync(new CallRequest("evil") { Domain = "test" });
        Assert.Equal(ErrorCode.BackendFailed, result.Status.ErrorCode);
        Assert.Contains("only a gateway may send", result.Status.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_of_a_draining_gateway_reconnects_to_the_member_its_goaway_names()
    {
        var (a, b) = await StartPairAsync(RedirectPolicy.Forward);
        await using var _a = a;
        var frank = AuthorizeOnBoth(a, b, "frank");
        await using var client = ClientOf(b, frank);
        await using var stubborn = ClientOf(b, frank, follow: false);
        Assert.Equal($"frank|via={b.Server.Fingerprint}", (await client.CallAsync(new CallRequest("who") { Domain = "test" })).StdoutText);
        Assert.True((await stubborn.CallAsync(new CallRequest("who") { Domain = "test" })).Succeeded);

        await b.DisposeAsync(); // drains: GOAWAY to every client, naming a to those that follow redirects
        var after = await client.CallAsync(new CallRequest("who") { Domain = "test" });
        Assert.Equal("frank|via=", after.StdoutText); // now straight at a
        await Assert.ThrowsAsync<ConnectException>(() => stubborn.CallAsync(new CallRequest("who") { Domain = "test" }));
    }

    [Theory]
    [InlineData("Gateway shutting down; see 10.0.0.5:7340=SHA256:abc", true)]
    [InlineData("Gateway shutting down; see [::1]:7340=SHA256:abc", true)]
    [InlineData("Gateway shutting down", false)]
    [InlineData("see 10.0.0.5:7340", false)]
    [InlineData("Gateway shutting down; see 10.0.0.5:99999=SHA256:abc", false)]
    [InlineData("shutting down; seen 10.0.0.5:7340=SHA256:abc", false)]
    public void A_goaway_names_a_member_only_in_the_exact_form(string message, bool names) =>
        Assert.Equal(names, SeeOtherHost.TryParseTrailing(message, out _, out _));

    /// <summary>A TLS endpoint speaking the protocol that answers every request with one status.</summary>
    private sealed class FakeGateway : IAsyncDisposable
    {
        private readonly TcpListener _listener;
        private readonly PeerIdentity _identity = PeerIdentity.CreateEphemeral("fake");
        private readonly List<MuxConnection> _connections = [];
        private readonly CancellationTokenSource _stop = new();
        private readonly CallStatus _answer;

        private FakeGateway(CallStatus answer)
        {
            _answer = answer;
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start();
        }

        public Endpoint Endpoint => new("127.0.0.1", ((IPEndPoint)_listener.LocalEndpoint).Port);

        public Fingerprint Fingerprint => _identity.Fingerprint;

        public static Task<FakeGateway> StartAsync(CallStatus answer)
        {
            var fake = new FakeGateway(answer);
            _ = fake.AcceptAsync();
            return Task.FromResult(fake);
        }

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    var socket = await _listener.AcceptSocketAsync(_stop.Token);
                    var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true));
                    await ssl.AuthenticateAsServerAsync(TlsSettings.ServerOptions(_identity), _stop.Token);
                    var connection = new MuxConnection(MuxTransport.FromStream(ssl), isDialer: false, onRequest: s => s.Complete(_answer));
                    lock (_connections)
                    {
                        _connections.Add(connection);
                    }

                    await connection.StartAsync();
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException or IOException or System.Security.Authentication.AuthenticationException)
            {
                // stopped
            }
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            _listener.Stop();
            foreach (var c in _connections)
            {
                await c.DisposeAsync();
            }

            _identity.Dispose();
        }
    }
}
