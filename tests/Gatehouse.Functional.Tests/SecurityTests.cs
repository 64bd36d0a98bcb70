using Gatehouse.Client;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Protocol;
using Gatehouse.Service;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;

namespace Gatehouse.Functional.Tests;

public class SecurityTests
{
    [Fact]
    public async Task Gateway_refuses_an_unknown_fingerprint_and_says_how_to_authorize_it()
    {
        await using var gw = await TestGateway.StartAsync();
        using var stranger = PeerIdentity.CreateEphemeral("stranger");
        var client = gw.Client(stranger);
        var ex = await Assert.ThrowsAsync<ConnectException>(() => client.CallAsync(new CallRequest("x")));
        Assert.Equal(ConnectFailure.Rejected, ex.Failure);
        Assert.Contains(stranger.Fingerprint.ToString(), ex.Message, StringComparison.Ordinal);
        Assert.Contains("gatehouse authorize", ex.Message, StringComparison.Ordinal);
        Assert.True(gw.Server.Runtime.Sessions.IsEmpty);
    }

    [Fact]
    public async Task Client_refuses_a_gateway_whose_fingerprint_changed()
    {
        await using var gw = await TestGateway.StartAsync();
        var alice = gw.Authorize("alice", PeerRoles.Client);
        using var other = PeerIdentity.CreateEphemeral("impostor");
        await using var client = new GatehouseClient(gw.Endpoint, gw.ClientOptions(alice) with { Pins = ClientOptions.PinTo(other.Fingerprint) });
        var ex = await Assert.ThrowsAsync<ConnectException>(() => client.CallAsync(new CallRequest("x")));
        Assert.Equal(ConnectFailure.FingerprintMismatch, ex.Failure);
        Assert.Equal(gw.Server.Fingerprint, ex.Presented);
        Assert.Contains(gw.Server.Fingerprint.ToString(), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_without_a_pin_is_told_to_trust_first()
    {
        await using var gw = await TestGateway.StartAsync();
        var alice = gw.Authorize("alice", PeerRoles.Client);
        await using var client = new GatehouseClient(gw.Endpoint, gw.ClientOptions(alice) with { Pins = _ => null });
        var ex = await Assert.ThrowsAsync<ConnectException>(() => client.CallAsync(new CallRequest("x")));
        Assert.Equal(ConnectFailure.NotTrusted, ex.Failure);
        Assert.Contains("gatehouse trust", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Service_cannot_register_a_domain_it_is_not_authorized_for()
    {
        await using var gw = await TestGateway.StartAsync();
        var identity = gw.Authorize("mailsvc", PeerRoles.Service, "mail");
        var service = new GatehouseService(new ServiceOptions
        {
            Identity = identity,
            Gateways = [new GatewayTarget(gw.Endpoint, gw.Server.Fingerprint)],
        }).Map("payroll", "pay", _ => Task.FromResult(0));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        await service.RunAsync(cts.Token);
        Assert.False(gw.Server.Runtime.Routes.HasRoute("payroll", "pay"));

        // A client-only identity may not register at all, even with a domain list.
        var client = gw.Client(gw.Authorize("eve", PeerRoles.Client, "mail"));
        var r = await client.CallAsync(new CallRequest("register", "mail", "x") { Domain = "gatehouse" });
        Assert.Equal(ErrorCode.Access, r.Status.ErrorCode);
    }

    [Fact]
    public async Task Admin_commands_are_refused_to_non_admins_and_work_for_admins()
    {
        await using var gw = await TestGateway.StartAsync();
        var plain = gw.NewClient("bob");
        foreach (string command in new[] { "status", "services", "connections", "reload" })
        {
            var r = await plain.CallAsync(new CallRequest(command) { Domain = "gatehouse" });
            Assert.Equal(ErrorCode.Access, r.Status.ErrorCode);
            Assert.Empty(r.Stdout);
        }

        var who = await plain.CallAsync(new CallRequest("whoami") { Domain = "gatehouse" });
        Assert.StartsWith("bob roles=client", who.StdoutText, StringComparison.Ordinal);

        var admin = gw.Client(gw.Authorize("root", PeerRoles.Admin));
        var status = await admin.CallAsync(new CallRequest("status", "--json") { Domain = "gatehouse" });
        Assert.True(status.Succeeded, status.ToString());
        Assert.Contains(gw.Server.Fingerprint.ToString(), status.StdoutText, StringComparison.Ordinal);
        var connections = await admin.CallAsync(new CallRequest("connections") { Domain = "gatehouse" });
        Assert.Contains("bob", connections.StdoutText, StringComparison.Ordinal);
        Assert.Contains("root", connections.StdoutText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_role_with_domains_may_call_only_those_domains()
    {
        await using var gw = await TestGateway.StartAsync();
        await gw.RunServiceAsync(gw.Authorize("svc", PeerRoles.Service), s => s
            .Map("mail", "q", async ctx => { await ctx.WriteAsync("mail"); return 0; })
            .Map("hr", "q", async ctx => { await ctx.WriteAsync("hr"); return 0; }));
        var limited = gw.Client(gw.Authorize("carol", PeerRoles.Client, "mail"));
        Assert.Equal("mail", (await limited.CallAsync(new CallRequest("q") { Domain = "mail" })).StdoutText);
        Assert.Equal(ErrorCode.Access, (await limited.CallAsync(new CallRequest("q") { Domain = "hr" })).Status.ErrorCode);
    }
}

public class RevocationTests
{
    [Fact]
    public async Task Revoking_a_peer_drops_its_live_connection_and_refuses_it_afterwards()
    {
        await using var gw = await TestGateway.StartAsync();
        var eve = gw.Authorize("eve", PeerRoles.Client);
        var client = gw.Client(eve);
        var who = await client.CallAsync(new CallRequest("whoami") { Domain = "gatehouse" });
        Assert.StartsWith("eve", who.StdoutText, StringComparison.Ordinal);
        Assert.Equal(1, gw.Server.Runtime.Sessions.Count);

        // Remove eve's line: the gateway notices within about a second and sends GOAWAY.
        var path = gw.Server.Runtime.Options.AuthorizedPath;
        File.WriteAllLines(path, File.ReadAllLines(path).Where(l => !l.Contains(eve.Fingerprint.ToString(), StringComparison.Ordinal)));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!gw.Server.Runtime.Sessions.IsEmpty && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.True(gw.Server.Runtime.Sessions.IsEmpty);
        var ex = await Assert.ThrowsAsync<ConnectException>(() => client.CallAsync(new CallRequest("whoami") { Domain = "gatehouse" }));
        Assert.Equal(ConnectFailure.Rejected, ex.Failure);
    }
}
