using System.Diagnostics;
using Gatehouse.Functional.Tests;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Gateway.Membership;
using Gatehouse.Remctl.Tests.Infrastructure;

namespace Gatehouse.Interop.Tests;

/// <summary>
/// A stock remctl client (Debian remctl-client, Kerberos) on one member's remctl port reaches a
/// native service attached only to another member: the request is forwarded with the Kerberos
/// identity.
/// </summary>
[Collection(KerberosCollection.Name)]
public sealed class RemctlForwardingTests(KerberosRealm realm)
{
    [Fact]
    public async Task A_stock_remctl_client_on_one_member_reaches_a_native_service_attached_only_to_another()
    {
        await using var a = await TestGateway.StartAsync();
        await using var c = await TestGateway.StartAsync(o => o with
        {
            RemctlListen = "127.0.0.1:0",
            RemctlKeytab = realm.HostKeytab,
            Cluster = o.Cluster with { Join = [JoinTarget.Parse($"127.0.0.1:{a.Endpoint.Port}={a.Server.Fingerprint}")] },
        });
        AuthorizedPeers.Upsert(a.Server.Runtime.Options.AuthorizedPath, new PeerGrant(c.Server.Fingerprint, "gw-c", PeerRoles.Gateway, []));
        await a.RunServiceAsync(a.Authorize("native-svc", PeerRoles.Service, "default"), s => s
            .Map("default", "native", async ctx =>
            {
                await ctx.WriteAsync($"native user={ctx.User} via={ctx.GetMetadata("GATEHOUSE_VIA") == c.Server.Fingerprint.ToString()} door={ctx.GetMetadata("GATEHOUSE_FRONT_DOOR")} args={string.Join(',', ctx.Args)}\n");
                await ctx.WriteErrorAsync("native stderr\n");
                return 4;
            }));
        var clock = Stopwatch.StartNew();
        while (c.Server.Membership!.MembersServing("default", "native").Count == 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "c never learned a's routes");
            await Task.Delay(50);
        }

        Assert.Empty(c.Server.Runtime.Routes.Snapshot());
        var r = await realm.RunAsync(ProcessRunner.Require("remctl", "remctl-client"), ["-p", c.Server.RemctlEndpoint!.Port.ToString(), "localhost", "native", "a", "b"]);
        Assert.Equal(4, r.ExitCode);
        Assert.Equal($"native user={KerberosRealm.UserPrincipal} via=True door=remctl args=a,b\n", r.Stdout);
        Assert.Contains("native stderr", r.Stderr, StringComparison.Ordinal);
    }
}
