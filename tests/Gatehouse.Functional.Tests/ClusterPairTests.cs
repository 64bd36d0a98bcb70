using System.Diagnostics;
using System.Text.Json;
using Gatehouse.Client;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Gateway.Membership;
using Gatehouse.Service;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;

namespace Gatehouse.Functional.Tests;

/// <summary>
/// Two real gateways (TLS and UDP on loopback) in one cluster: a service attached to one is known
/// to the other through the route list it pulls over TLS when the gossiped route version changes;
/// detaching, and the member leaving, take the routes away. Datagram keys rotate on a timer without
/// a datagram lost to an unknown key.
/// </summary>
public sealed class ClusterPairTests
{
    /// <summary>Gateway a alone, b joining it and admitted on a in the gateway role; returns when each sees the other alive.</summary>
    private static async Task<(TestGateway A, TestGateway B)> StartPairAsync(Func<ClusterOptions, ClusterOptions>? cluster = null)
    {
        var a = await TestGateway.StartAsync(o => o with { Cluster = cluster?.Invoke(o.Cluster) ?? o.Cluster });
        string aEndpoint = $"127.0.0.1:{a.Endpoint.Port}";
        var b = await TestGateway.StartAsync(o => o with
        {
            Cluster = (cluster?.Invoke(o.Cluster) ?? o.Cluster) with { Join = [JoinTarget.Parse($"{aEndpoint}={a.Server.Fingerprint}")] },
        });
        AuthorizedPeers.Upsert(a.Server.Runtime.Options.AuthorizedPath, new PeerGrant(b.Server.Fingerprint, "gw-b", PeerRoles.Gateway, []));
        await Until(() => Sees(a, b) && Sees(b, a), "a and b never saw each other alive");
        return (a, b);
    }

    private static bool Sees(TestGateway observer, TestGateway member) =>
        observer.Server.Membership!.Members.Any(m => m.Id == member.Server.Fingerprint.ToString() && m.State == Gatehouse.Cluster.Membership.MemberState.Alive);

    [Fact]
    public async Task Datagram_keys_rotate_on_a_timer_and_the_members_stay_alive_with_no_datagram_lost_to_an_unknown_key_in_steady_state()
    {
        var (a, b) = await StartPairAsync(c => c with { KeyRotation = TimeSpan.FromSeconds(1) });
        await using var _a = a;
        await using var _b = b;
        var (ma, mb) = (a.Server.Membership!, b.Server.Membership!);
        uint aKey = ma.CurrentKeyId;
        await Until(() => ma.Rotations >= 3 && mb.Rotations >= 3, "the keys did not rotate three times");
        Assert.NotEqual(aKey, ma.CurrentKeyId);

        // Joining can race a rotation (the join carried the old key); a member that then gets a
        // datagram under a key it lacks fetches the key over TLS. From here on, rotation after
        // rotation, every datagram opens under a key its receiver holds.
        await Until(() => Sees(a, b) && Sees(b, a), "a and b did not see each other alive after the first rotations");
        await Task.Delay(1500);
        long unknownA = ma.SecurityCounters.UnknownKey, unknownB = mb.SecurityCounters.UnknownKey, opened = ma.SecurityCounters.Opened;
        int rotations = ma.Rotations + mb.Rotations;
        await Until(() => ma.Rotations + mb.Rotations >= rotations + 6, "the keys stopped rotating");
        Assert.True(Sees(a, b) && Sees(b, a));
        Assert.Equal(unknownA, ma.SecurityCounters.UnknownKey);
        Assert.Equal(unknownB, mb.SecurityCounters.UnknownKey);
        Assert.True(ma.SecurityCounters.Opened > opened);
    }

    [Fact]
    public async Task A_member_pulls_the_route_list_of_another_when_its_gossiped_version_changes()
    {
        var (a, b) = await StartPairAsync();
        await using var _a = a;
        await using var _b = b;
        string bId = b.Server.Fingerprint.ToString();
        var aMembership = a.Server.Membership!;
        await Until(() => aMembership.RemoteRoutes.Of(bId) is { Routes.Count: 0 }, "a never held b's (empty) route list");

        // A service attaches to b: a learns its routes without anyone asking.
        using var stop = new CancellationTokenSource();
        var service = new GatehouseService(new ServiceOptions
        {
            Identity = b.Authorize("svc", PeerRoles.Service, "inventory"),
            Gateways = [new GatewayTarget(b.Endpoint, b.Server.Fingerprint)],
            Connection = ConnectionOptions.Default with { ConnectTimeout = TimeSpan.FromSeconds(5) },
            Discovery = DiscoveryOptions.Off, // on b only: a must learn of it through b's route list
        }).Map("inventory", "list", ctx => Task.FromResult(0), concurrency: 8).Map("inventory", "*", ctx => Task.FromResult(0), concurrency: 2);
        var attached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        service.Attached += _ => attached.TrySetResult();
        var running = service.RunAsync(stop.Token);
        await attached.Task.WaitAsync(TimeSpan.FromSeconds(20));
        var clock = Stopwatch.StartNew();
        await Until(() => aMembership.RemoteRoutes.Of(bId) is { Routes.Count: 2 }, "a never pulled b's two routes");
        var seen = clock.Elapsed;
        var list = aMembership.RemoteRoutes.Of(bId)!;
        Assert.Equal(b.Server.Membership!.LocalRoutes().Hash, list.Hash);
        Assert.Contains(list.Routes, r => r is { Domain: "inventory", Command: "list", Services: 1, Concurrency: 8 });
        Assert.Equal(bId, Assert.Single(aMembership.RemoteRoutes.MembersServing("inventory", "list")));
        Assert.Equal(bId, Assert.Single(aMembership.RemoteRoutes.MembersServing("inventory", "other"))); // the '*' registration
        Assert.Empty(aMembership.RemoteRoutes.MembersServing("billing", "list"));
        Assert.True(seen < TimeSpan.FromSeconds(10), $"took {seen}");

        // An admin sees them in members --json on a.
        var admin = a.Client(a.Authorize("ops", PeerRoles.Admin));
        var result = await admin.CallAsync(new CallRequest("members", "--json") { Domain = "gatehouse" });
        Assert.Equal(0, result.ExitCode);
        using (var doc = JsonDocument.Parse(result.StdoutText))
        {
            var entry = doc.RootElement.EnumerateArray().Single(e => e.GetProperty("fingerprint").GetString() == bId);
            var routes = entry.GetProperty("routeList").EnumerateArray().Select(r => r.GetProperty("domain").GetString() + " " + r.GetProperty("command").GetString()).Order().ToList();
            Assert.Equal(["inventory *", "inventory list"], routes);
        }

        // The service goes: its routes go from a's view too.
        stop.Cancel();
        await running.WaitAsync(TimeSpan.FromSeconds(20)).ContinueWith(_ => { }, TaskScheduler.Default);
        await Until(() => aMembership.RemoteRoutes.Of(bId) is { Routes.Count: 0 }, "b's routes stayed at a after the service left");

        // b leaves: a forgets it entirely.
        await b.Server.Membership!.LeaveAsync(TimeSpan.FromSeconds(2));
        await Until(() => aMembership.RemoteRoutes.Of(bId) is null, "a kept the routes of a member that left");
    }

    [Fact]
    public async Task The_gossip_membership_read_as_a_cluster_registry_shows_the_same_members_route_lists_and_grants()
    {
        var (a, b) = await StartPairAsync();
        await using var _a = a;
        await using var _b = b;
        var registry = a.Server.Membership!.Registry;
        string aId = a.Server.Fingerprint.ToString(), bId = b.Server.Fingerprint.ToString();
        var changes = new System.Collections.Concurrent.ConcurrentQueue<Gatehouse.Cluster.Registry.RegistryChange>();
        registry.Changed += (_, c) => changes.Enqueue(c);
        await Until(() => registry.View.Routes.ContainsKey(bId), "a never held b's route list");

        var view = registry.View;
        Assert.Equal(("gossip", aId, true), (registry.Kind, registry.LocalId, registry.Health.Up));
        Assert.Equal(new[] { aId, bId }.Order(StringComparer.Ordinal), view.Members.Keys.Order(StringComparer.Ordinal));
        var bMember = view.Members[bId];
        Assert.Equal(($"127.0.0.1:{b.Endpoint.Port}", Gatehouse.Cluster.Membership.MemberState.Alive), (bMember.Address, bMember.State));
        Assert.Equal(Environment.MachineName.Length > 64 ? Environment.MachineName[..64] : Environment.MachineName, bMember.Metadata["host"]);
        Assert.Equal(b.Server.Membership!.LocalRoutes().Version, view.Routes[bId].Version);
        Assert.Equal(bId, Assert.Single(view.LiveOthers(aId)).Id);
        Assert.Equal("gw-b", view.Grants[bId].Split(' ')[1]); // the grant made on a, as its authorized_peers line

        // A grant written through the registry on b reaches a (the grant ledger spreads it), with a change event.
        using var clientIdentity = PeerIdentity.CreateEphemeral("registry-client");
        var client = clientIdentity.Fingerprint.ToString();
        await b.Server.Membership!.Registry.PutGrantAsync(client, $"{client} carol roles=client");
        await Until(() => registry.View.Grants.ContainsKey(client), "a never got the grant written through b");
        await Until(() => changes.Any(c => c.Kind == Gatehouse.Cluster.Registry.RegistryChangeKind.Grant && c.Id == client), "no grant change event on a");
        await b.Server.Membership!.Registry.RemoveGrantAsync(client);
        await Until(() => !registry.View.Grants.ContainsKey(client), "a kept a grant removed through b");
    }

    [Fact]
    public async Task A_caller_without_the_gateway_role_cannot_pull_routes()
    {
        await using var gw = await TestGateway.StartAsync();
        var admin = gw.Client(gw.Authorize("ops", PeerRoles.Admin));
        var result = await admin.CallAsync(new CallRequest("cluster-routes") { Domain = "gatehouse" });
        Assert.Equal(Gatehouse.Protocol.ErrorCode.Access, result.Status.ErrorCode);
        Assert.Contains("gateway role", result.Status.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_link_to_a_blackholed_member_fails_after_the_one_second_connect_timeout_and_is_then_backed_off()
    {
        using var blackhole = new Gatehouse.Fanout.Tests.DroppingNamespace(); // every packet in is dropped: connects time out
        // A long first backoff, so "not dialled again at once" does not depend on how fast this test runs.
        await using var gw = await TestGateway.StartAsync(o => o with
        {
            Cluster = o.Cluster with { Links = o.Cluster.Links with { InitialBackoff = TimeSpan.FromSeconds(20), MaxBackoff = TimeSpan.FromMinutes(1) } },
        });
        var links = gw.Server.Membership!.Links;
        var member = new System.Net.IPEndPoint(System.Net.IPAddress.Parse(blackhole.InsideAddress), 7340);
        var someone = PeerIdentity.CreateEphemeral().Fingerprint;

        var clock = Stopwatch.StartNew();
        var first = await Assert.ThrowsAsync<ConnectException>(() => links.ConnectAsync(member, someone, CancellationToken.None));
        var took = clock.Elapsed;
        Assert.InRange(took.TotalSeconds, 0.9, 5); // the configured 1 s, not the OS's minutes of SYN retries
        Assert.Contains("time", first.Message, StringComparison.OrdinalIgnoreCase);

        // The next attempt waits for the backoff instead of dialling at once.
        clock.Restart();
        var second = await Assert.ThrowsAsync<ConnectException>(() => links.ConnectAsync(member, someone, CancellationToken.None));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(0.9), $"dialled again: {clock.Elapsed}");
        Assert.Contains("not dialled", second.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_route_change_that_races_the_members_disposal_is_ignored_without_an_unobserved_exception()
    {
        // Seen in CI: services detaching while a gateway stopped raised RouteTable.Changed after the
        // membership was disposed; the queued work read a disposed CancellationTokenSource and its
        // exception went unobserved.
        await using var gw = await TestGateway.StartAsync();
        var membership = gw.Server.Membership!;
        await membership.DisposeAsync();
        membership.OnRoutesChanged(); // what a change raised just before the unsubscription does
        await Task.Delay(200);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        // TestGateway's disposal fails the test on any unobserved task exception.
    }

    private static async Task Until(Func<bool> condition, string failure)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), failure);
            await Task.Delay(20);
        }
    }
}
