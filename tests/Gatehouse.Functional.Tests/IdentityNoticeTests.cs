using Gatehouse.Client;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Protocol;
using Gatehouse.Transport.Security;

namespace Gatehouse.Functional.Tests;

/// <summary>
/// Issue 17: IDENTITY notices over a real gateway and TLS on loopback. A client records a successor
/// only from a statement signed by the key it pinned (and by the successor); anything else sent on
/// the same authenticated connection is refused and logged.
/// </summary>
public class IdentityNoticeTests
{
    private static async Task<(TestGateway Gateway, GatehouseClient Client, KnownHosts Pins, string HostPort, string Root)> StartAsync()
    {
        var gateway = await TestGateway.StartAsync();
        gateway.ExpectErrors(e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning);
        string root = Directory.CreateTempSubdirectory("gatehouse-notice-").FullName;
        var pins = new KnownHosts(Path.Combine(root, "known_hosts"));
        string hostPort = gateway.Endpoint.ToString();
        pins.Set(hostPort, gateway.Server.Fingerprint);
        var me = gateway.Authorize("alice", PeerRoles.Client | PeerRoles.Admin);
        var client = new GatehouseClient(gateway.Endpoint, gateway.ClientOptions(me) with { Pins = ClientOptions.PinFrom(pins), Rollover = pins });
        Assert.True((await client.CallAsync(new CallRequest("whoami") { Domain = RequestHeader.ControlDomain })).Status.IsSuccess);
        return (gateway, client, pins, hostPort, root);
    }

    private static void SendToEverySession(TestGateway gateway, byte[] statement)
    {
        var sessions = gateway.Server.Runtime.Sessions.Snapshot();
        Assert.NotEmpty(sessions);
        foreach (var session in sessions)
        {
            Assert.True(session.Connection.TrySendIdentityNotice(statement));
        }
    }

    [Fact]
    public async Task A_successor_signed_by_the_pinned_key_is_recorded_in_known_hosts()
    {
        var (gateway, client, pins, hostPort, root) = await StartAsync();
        await using (gateway)
        await using (client)
        {
            using var next = PeerIdentity.CreateEphemeral("next");
            SendToEverySession(gateway, SuccessorStatement.Sign(SuccessorPurpose.Gateway, gateway.Server.Runtime.Identity, next, DateTimeOffset.UtcNow));
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (pins.FindEntry(hostPort)?.Next != next.Fingerprint && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }

            Assert.Equal(next.Fingerprint, pins.FindEntry(hostPort)?.Next);
            Assert.Equal(gateway.Server.Fingerprint, pins.Find(hostPort));
        }

        Directory.Delete(root, true);
    }

    [Fact]
    public async Task Forged_successor_announcements_are_rejected_and_the_pin_is_unchanged()
    {
        var (gateway, client, pins, hostPort, root) = await StartAsync();
        await using (gateway)
        await using (client)
        {
            using var attacker = PeerIdentity.CreateEphemeral("attacker");
            using var attackerNext = PeerIdentity.CreateEphemeral("attacker-next");

            // 1. A well-formed statement for the attacker's own key (not the pinned one).
            SendToEverySession(gateway, SuccessorStatement.Sign(SuccessorPurpose.Gateway, attacker, attackerNext, DateTimeOffset.UtcNow));

            // 2. The pinned fingerprint and public key, but signed by the attacker's key.
            var genuine = SuccessorStatement.Sign(SuccessorPurpose.Gateway, gateway.Server.Runtime.Identity, attackerNext, DateTimeOffset.UtcNow);
            var forged = SuccessorStatement.Sign(SuccessorPurpose.Gateway, attacker, attackerNext, DateTimeOffset.UtcNow);
            SendToEverySession(gateway, Splice(genuine, forged));

            // 3. A peer statement (a client's grant move) replayed as a gateway announcement.
            SendToEverySession(gateway, SuccessorStatement.Sign(SuccessorPurpose.Peer, gateway.Server.Runtime.Identity, attackerNext, DateTimeOffset.UtcNow));

            // 4. Garbage.
            SendToEverySession(gateway, [1, 2, 3]);

            // The connection is still usable, and nothing was recorded.
            Assert.True((await client.CallAsync(new CallRequest("whoami") { Domain = RequestHeader.ControlDomain })).Status.IsSuccess);
            Assert.Equal(new KnownHostEntry(hostPort, gateway.Server.Fingerprint, null), pins.FindEntry(hostPort));
        }

        Directory.Delete(root, true);
    }

    /// <summary>The genuine statement's text and keys with the forged statement's signatures.</summary>
    private static byte[] Splice(byte[] genuine, byte[] forged)
    {
        var g = Parts(genuine);
        var f = Parts(forged);
        var parts = new[] { g[0], g[1], f[2], g[3], f[4] };
        var result = new List<byte>();
        foreach (var p in parts)
        {
            result.Add((byte)(p.Length >> 8));
            result.Add((byte)p.Length);
            result.AddRange(p);
        }

        return [.. result];
    }

    private static byte[][] Parts(byte[] encoded)
    {
        var parts = new byte[5][];
        int pos = 0;
        for (int i = 0; i < 5; i++)
        {
            int len = (encoded[pos] << 8) | encoded[pos + 1];
            parts[i] = encoded[(pos + 2)..(pos + 2 + len)];
            pos += 2 + len;
        }

        return parts;
    }

    [Fact]
    public async Task A_peer_that_did_not_ask_for_identity_notices_is_never_sent_one()
    {
        await using var gateway = await TestGateway.StartAsync();
        var client = gateway.NewClient(); // no Rollover: its HELLO does not set IDENTITY_NOTICES
        Assert.True((await client.CallAsync(new CallRequest("whoami") { Domain = RequestHeader.ControlDomain })).Status.IsSuccess);
        using var next = PeerIdentity.CreateEphemeral("next");
        var statement = SuccessorStatement.Sign(SuccessorPurpose.Gateway, gateway.Server.Runtime.Identity, next, DateTimeOffset.UtcNow);
        var session = Assert.Single(gateway.Server.Runtime.Sessions.Snapshot());
        Assert.False(session.Connection.TrySendIdentityNotice(statement));
        Assert.True((await client.CallAsync(new CallRequest("whoami") { Domain = RequestHeader.ControlDomain })).Status.IsSuccess);
    }
}
