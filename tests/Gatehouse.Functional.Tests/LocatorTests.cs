using System.Collections.Concurrent;
using System.Diagnostics;
using Gatehouse.Client;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Gateway.Membership;
using Gatehouse.Protocol;
using Gatehouse.Transport.Security;

namespace Gatehouse.Functional.Tests;

/// <summary>
/// Locator services (seed 001: "if a user is unknown, ask a service for a see-other-host value"):
/// three real gateways in one cluster, a <c>mail</c> service on a and another on b (each knows only
/// its own users), and a locator for <c>mail</c> attached to a. A client of c reaches each user's
/// member by the key of its request; the locator is asked once per key and TTL; its failures do not
/// fail requests; only gateways may ask it.
/// </summary>
public sealed class LocatorTests
{
    private sealed class Locator
    {
        public readonly ConcurrentDictionary<string, int> Asked = new();
        public readonly ConcurrentDictionary<string, LocatorAnswer> Places = new();
        public volatile bool Broken;
    }

    private static async Task<(TestGateway[] Gateways, Locator Locator)> StartAsync(RedirectPolicy policy = RedirectPolicy.Forward)
    {
        var gateways = new TestGateway[3];
        gateways[0] = await TestGateway.StartAsync();
        string seed = $"127.0.0.1:{gateways[0].Endpoint.Port}={gateways[0].Server.Fingerprint}";
        for (int i = 1; i < 3; i++)
        {
            gateways[i] = await TestGateway.StartAsync(o => o with { Cluster = o.Cluster with { Join = [JoinTarget.Parse(seed)], Redirect = policy } });
            AuthorizedPeers.Upsert(gateways[0].Server.Runtime.Options.AuthorizedPath, new PeerGrant(gateways[i].Server.Fingerprint, $"gw{i}", PeerRoles.Gateway, []));
        }

        await Until(() => gateways.All(g => g.Server.Membership!.Members.Count(m => m.State == Gatehouse.Cluster.Membership.MemberState.Alive) == 3), "the members never all saw each other alive");
        var (a, b, c) = (gateways[0], gateways[1], gateways[2]);
        foreach (var (g, name) in new[] { (a, "a"), (b, "b") })
        {
            await g.RunServiceAsync(g.Authorize("mail-" + name, PeerRoles.Service, "mail"), s => s
                .Map("mail", "quota", async ctx =>
                {
                    await ctx.WriteAsync($"{name}:{string.Join(',', ctx.Args)}|{ctx.GetMetadata("GATEHOUSE_VIA") is not null}");
                    return 0;
                }));
        }

        var locator = new Locator();
        await a.RunServiceAsync(a.Authorize("locator", PeerRoles.Service, "mail"), s => s
            .MapLocator("mail", (query, ct) =>
            {
                locator.Asked.AddOrUpdate(query.Key, 1, (_, n) => n + 1);
                if (locator.Broken)
                {
                    throw new InvalidOperationException("the directory is down");
                }

                return ValueTask.FromResult(locator.Places.TryGetValue(query.Key, out var place) ? place : new LocatorAnswer(null, TimeSpan.FromSeconds(30)));
            }));
        string aId = a.Server.Fingerprint.ToString();
        string bId = b.Server.Fingerprint.ToString();
        await Until(
            () => c.Server.Membership!.RemoteRoutes.MembersServing("mail", LocatorAnswer.Command).Contains(aId)
                && c.Server.Membership.RemoteRoutes.MembersServing("mail", "quota").Length == 2
                && b.Server.Membership!.RemoteRoutes.MembersServing("mail", LocatorAnswer.Command).Contains(aId),
            "c never learned the mail routes and the locator");
        locator.Places["alice"] = new LocatorAnswer(aId, TimeSpan.FromMinutes(5));
        locator.Places["bob"] = new LocatorAnswer($"127.0.0.1:{b.Endpoint.Port}", TimeSpan.FromMinutes(5)); // named by address
        locator.Places["carol"] = new LocatorAnswer(bId, TimeSpan.Zero); // not to be kept
        return (gateways, locator);
    }

    private static async Task Until(Func<bool> condition, string failure, double seconds = 30)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(seconds), failure);
            await Task.Delay(20);
        }
    }

    private static async Task DisposeAllAsync(TestGateway[] gateways)
    {
        foreach (var g in gateways.Reverse())
        {
            await g.DisposeAsync();
        }
    }

    private static CallRequest Quota(params string[] args) => new("quota", args) { Domain = "mail" };

    [Fact]
    public async Task Two_users_of_one_domain_reach_the_two_members_their_locator_names_and_the_locator_is_asked_once_per_key()
    {
        var (gateways, locator) = await StartAsync();
        try
        {
            var c = gateways[2];
            var client = c.Client(c.Authorize("clerk", PeerRoles.Client, "mail"));
            for (int i = 0; i < 3; i++)
            {
                Assert.Equal("a:alice|True", (await client.CallAsync(Quota("alice"))).StdoutText);
                Assert.Equal("b:bob,10G|True", (await client.CallAsync(Quota("bob", "10G"))).StdoutText);
            }

            Assert.Equal(1, locator.Asked["alice"]); // kept for its TTL
            Assert.Equal(1, locator.Asked["bob"]);

            // TTL 0: asked every time.
            Assert.Equal("b:carol|True", (await client.CallAsync(Quota("carol"))).StdoutText);
            Assert.Equal("b:carol|True", (await client.CallAsync(Quota("carol"))).StdoutText);
            Assert.Equal(2, locator.Asked["carol"]);

            // The key may be named in metadata instead of the first argument.
            var byMetadata = await client.CallAsync(new CallRequest("quota", ["report"]) { Domain = "mail", Metadata = [new(LocatorAnswer.KeyMetadata, "bob")] });
            Assert.Equal("b:report|True", byMetadata.StdoutText);

            // On a, the member that hosts the locator, alice is served locally (not forwarded) and bob is forwarded to b.
            var onA = gateways[0].Client(gateways[0].Authorize("clerk-a", PeerRoles.Client, "mail"));
            Assert.Equal("a:alice|False", (await onA.CallAsync(Quota("alice"))).StdoutText);
            Assert.Equal("b:bob|True", (await onA.CallAsync(Quota("bob"))).StdoutText);
        }
        finally
        {
            await DisposeAllAsync(gateways);
        }
    }

    [Fact]
    public async Task A_key_the_locator_does_not_know_or_a_failing_locator_leaves_the_request_routed_as_usual()
    {
        var (gateways, locator) = await StartAsync();
        try
        {
            var c = gateways[2];
            var client = c.Client(c.Authorize("clerk", PeerRoles.Client, "mail"));
            var unknown = await client.CallAsync(Quota("dave"));
            Assert.Equal(0, unknown.ExitCode);
            Assert.Matches("^[ab]:dave\\|True$", unknown.StdoutText); // forwarded by route lists, to either

            gateways[0].ExpectErrors(3003); // the locator's handler throwing is logged by the service
            locator.Broken = true;
            var failed = await client.CallAsync(Quota("erin"));
            Assert.Equal(0, failed.ExitCode);
            Assert.Matches("^[ab]:erin\\|True$", failed.StdoutText);
            var again = await client.CallAsync(Quota("erin"));
            Assert.Equal(0, again.ExitCode);
            Assert.Equal(1, locator.Asked["erin"]); // the failure is kept briefly: a broken locator is not asked by every request
        }
        finally
        {
            await DisposeAllAsync(gateways);
        }
    }

    [Fact]
    public async Task A_member_the_locator_names_that_is_not_live_fails_the_request_with_one_clear_error()
    {
        var (gateways, locator) = await StartAsync();
        try
        {
            var c = gateways[2];
            locator.Places["frank"] = new LocatorAnswer("SHA256:" + new string('A', 43), TimeSpan.FromMinutes(1));
            var client = c.Client(c.Authorize("clerk", PeerRoles.Client, "mail"));
            var result = await client.CallAsync(Quota("frank"));
            Assert.Equal(ErrorCode.BackendFailed, result.Status.ErrorCode);
            Assert.Contains("places 'frank' on member SHA256:AAAA", result.Status.Message, StringComparison.Ordinal);
            Assert.Contains("not a live member", result.Status.Message, StringComparison.Ordinal);
        }
        finally
        {
            await DisposeAllAsync(gateways);
        }
    }

    [Fact]
    public async Task Clients_cannot_call_a_locator_themselves_nor_register_other_at_commands()
    {
        var (gateways, locator) = await StartAsync();
        try
        {
            var (a, c) = (gateways[0], gateways[2]);
            foreach (var g in new[] { a, c })
            {
                var client = g.Client(g.Authorize("prober", PeerRoles.Client, "mail"));
                var direct = await client.CallAsync(new CallRequest(LocatorAnswer.Command, ["alice", "quota"]) { Domain = "mail" });
                Assert.Equal(ErrorCode.UnknownCommand, direct.Status.ErrorCode);
            }

            Assert.False(locator.Asked.ContainsKey("alice"));

            var service = a.Client(a.Authorize("svc2", PeerRoles.Service, "mail"));
            var refused = await service.CallAsync(new CallRequest("register", ["mail", "@admin"]) { Domain = RequestHeader.ControlDomain });
            Assert.Equal(ErrorCode.BadCommand, refused.Status.ErrorCode);
            Assert.Contains("@locate", refused.Status.Message, StringComparison.Ordinal);
        }
        finally
        {
            await DisposeAllAsync(gateways);
        }
    }

    [Fact]
    public async Task A_client_that_follows_redirects_is_sent_to_each_users_member_and_remembers_the_redirect_per_user()
    {
        var (gateways, locator) = await StartAsync(RedirectPolicy.Redirect);
        try
        {
            var (a, b, c) = (gateways[0], gateways[1], gateways[2]);
            var clerk = c.Authorize("clerk", PeerRoles.Client, "mail");
            foreach (var g in new[] { a, b })
            {
                AuthorizedPeers.Upsert(g.Server.Runtime.Options.AuthorizedPath, new PeerGrant(clerk.Fingerprint, "clerk", PeerRoles.Client, ["mail"]));
                g.Server.Runtime.Authorized.Reload();
            }

            await using var client = new GatehouseClient(c.Endpoint, c.ClientOptions(clerk) with { FollowRedirects = true });
            for (int i = 0; i < 3; i++)
            {
                Assert.Equal("a:alice|False", (await client.CallAsync(Quota("alice"))).StdoutText); // straight to a: not forwarded
                Assert.Equal("b:bob|False", (await client.CallAsync(Quota("bob"))).StdoutText);
            }

            // Each user was redirected once by c, then asked about once more by the member it went
            // to (each gateway keeps its own answers); later calls went to the member directly.
            Assert.Equal(2, locator.Asked["alice"]);
            Assert.Equal(2, locator.Asked["bob"]);
            long cRequests = c.Server.Runtime.GetStatus().Requests;
            Assert.Equal("b:bob|False", (await client.CallAsync(Quota("bob"))).StdoutText);
            Assert.Equal(cRequests, c.Server.Runtime.GetStatus().Requests);
        }
        finally
        {
            await DisposeAllAsync(gateways);
        }
    }
}
