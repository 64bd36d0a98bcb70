using System.Diagnostics;
using System.Text;
using Gatehouse.Cluster.Etcd;
using Gatehouse.Cluster.Membership;
using Gatehouse.Cluster.Registry;

namespace Gatehouse.Registry.Tests;

/// <summary>The etcd registry against a real 3-member etcd cluster on loopback (issue 21).</summary>
public sealed class EtcdRegistryTests
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(10);

    private static MemberRoutes Routes(long version, string text) => new(version, Encoding.UTF8.GetBytes(text));

    private static bool Sees(EtcdRegistry r, params string[] ids) => ids.All(r.View.Members.ContainsKey);

    [Fact]
    public async Task Three_registries_agree_on_the_members_their_records_and_their_route_lists()
    {
        await using var h = await RegistryHarness.StartAsync();
        var (a, _) = await h.AddAsync("SHA256:aaa", port: 7001);
        var (b, _) = await h.AddAsync("SHA256:bbb", port: 7002);
        var (c, _) = await h.AddAsync("SHA256:c/c+", port: 7003); // fingerprints hold '/' and '+'
        await b.PublishRoutesAsync(Routes(3, "{\"routes\":\"b\"}")).WaitAsync(Soon);

        foreach (var r in (EtcdRegistry[])[a, b, c])
        {
            await RegistryHarness.Eventually(() => Sees(r, "SHA256:aaa", "SHA256:bbb", "SHA256:c/c+") && r.View.Routes.ContainsKey("SHA256:bbb"), Soon, $"{r.LocalId} sees all three and b's routes");
            Assert.Equal(3, r.View.Members.Count);
            var m = r.View.Members["SHA256:c/c+"];
            Assert.Equal(("127.0.0.1:7003", 4373, "0.1.0", MemberState.Alive, "SHA256:c/c+"), (m.Address, m.RemctlPort, m.Version, m.State, m.Metadata["host"]));
            Assert.Equal(3, r.View.Routes["SHA256:bbb"].Version);
            Assert.Equal("{\"routes\":\"b\"}", Encoding.UTF8.GetString(r.View.Routes["SHA256:bbb"].Payload.Span));
            Assert.True(r.Health.Up, r.Health.Describe("etcd"));
        }

        // A load change is a new record: the others see it.
        await a.PublishMemberAsync(new LocalMember("127.0.0.1:7001", null, 42, "0.1.0")).WaitAsync(Soon);
        await RegistryHarness.Eventually(() => c.View.Members["SHA256:aaa"] is { Load: 42, RemctlPort: null }, Soon, "c sees a's new load");
    }

    [Fact]
    public async Task A_member_that_stops_renewing_its_lease_disappears_within_the_lease_ttl_and_comes_back_when_restarted()
    {
        await using var h = await RegistryHarness.StartAsync();
        var ttl = TimeSpan.FromSeconds(3);
        var (a, _) = await h.AddAsync("SHA256:aaa", h.Options(ttl));
        var (b, _) = await h.AddAsync("SHA256:bbb", h.Options(ttl));
        var (crashed, _) = await h.AddAsync("SHA256:ccc", h.Options(ttl));
        await crashed.PublishRoutesAsync(Routes(1, "[]")).WaitAsync(Soon);
        await RegistryHarness.Eventually(() => Sees(a, "SHA256:ccc") && b.View.Routes.ContainsKey("SHA256:ccc"), Soon, "a and b see ccc");

        var sw = Stopwatch.StartNew();
        await crashed.AbandonAsync(); // as SIGKILL: nothing revoked, nothing renewed
        Assert.True(Sees(a, "SHA256:ccc"), "still listed right after the crash (its lease runs)");
        await RegistryHarness.Eventually(() => !Sees(a, "SHA256:ccc") && !Sees(b, "SHA256:ccc") && !b.View.Routes.ContainsKey("SHA256:ccc"), ttl + TimeSpan.FromSeconds(2), "ccc gone from a and b with its routes");
        var gone = sw.Elapsed;
        Assert.True(gone <= ttl + TimeSpan.FromSeconds(1.5), $"gone after {gone} (TTL {ttl}, plus etcd's expiry check)");
        Assert.True(Sees(a, "SHA256:aaa", "SHA256:bbb"), "the live members keep their keys");

        // Restarted (a new registry, same id): listed again.
        await h.AddAsync("SHA256:ccc", h.Options(ttl));
        await RegistryHarness.Eventually(() => Sees(a, "SHA256:ccc") && Sees(b, "SHA256:ccc"), Soon, "ccc back on a and b");
    }

    [Fact]
    public async Task A_clean_stop_revokes_the_lease_so_the_member_is_gone_at_once()
    {
        await using var h = await RegistryHarness.StartAsync();
        var (a, _) = await h.AddAsync("SHA256:aaa");
        var (b, log) = await h.AddAsync("SHA256:bbb");
        await RegistryHarness.Eventually(() => Sees(a, "SHA256:bbb"), Soon, "a sees b");

        var sw = Stopwatch.StartNew();
        await b.DisposeAsync();
        await RegistryHarness.Eventually(() => !Sees(a, "SHA256:bbb"), TimeSpan.FromSeconds(2), "b gone from a");
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(1), $"gone after {sw.Elapsed} with a 10 s lease");
        Assert.Contains(log.Lines, l => l.Id == 4207 && l.Text.Contains("revoked", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_one_etcd_member_killed_everything_keeps_working()
    {
        await using var h = await RegistryHarness.StartAsync();
        var (a, _) = await h.AddAsync("SHA256:aaa");
        var (b, _) = await h.AddAsync("SHA256:bbb");
        var (c, _) = await h.AddAsync("SHA256:ccc");
        await RegistryHarness.Eventually(() => Sees(a, "SHA256:bbb", "SHA256:ccc"), Soon, "a sees all");

        // The leader: the hardest single loss (an election follows, and requests to the others wait for it).
        int victim = await h.Etcd.LeaderAsync();
        Assert.True(victim >= 0, "etcd has a leader");
        h.Etcd.Kill(victim);

        await b.PublishRoutesAsync(Routes(7, "after the kill")).WaitAsync(Soon);
        await a.PutGrantAsync("SHA256:client", "SHA256:client client roles=client").WaitAsync(Soon);
        foreach (var r in (EtcdRegistry[])[a, b, c])
        {
            await RegistryHarness.Eventually(() => r.View.Routes.TryGetValue("SHA256:bbb", out var l) && l.Version == 7 && r.View.Grants.ContainsKey("SHA256:client"), Soon, $"{r.LocalId} sees b's new routes and the grant");
            await RegistryHarness.Eventually(() => r.Health.Up, Soon, $"{r.LocalId} up");
            Assert.Equal(3, r.View.Members.Count);
        }

        // Leases are still renewed: after two TTLs everyone is still there.
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.All((EtcdRegistry[])[a, b, c], r => Assert.Equal(3, r.View.Members.Count));
    }

    [Fact]
    public async Task Failover_goes_round_the_endpoints_as_often_as_etcd_members_die_one_after_another()
    {
        // Regression: the endpoint index once grew past the endpoint count and then stopped moving,
        // so after a few failovers a registry stayed on a dead member for good.
        await using var h = await RegistryHarness.StartAsync();
        var (a, _) = await h.AddAsync("SHA256:aaa");
        var (b, _) = await h.AddAsync("SHA256:bbb");
        for (int round = 0; round < 5; round++)
        {
            int victim = round % h.Etcd.Count; // the member the registries use now, then the next, and round again
            h.Etcd.Kill(victim);
            await a.PublishRoutesAsync(Routes(100 + round, $"round {round}")).WaitAsync(TimeSpan.FromSeconds(20));
            await RegistryHarness.Eventually(() => b.View.Routes.TryGetValue("SHA256:aaa", out var l) && l.Version == 100 + round, TimeSpan.FromSeconds(20), $"b sees a's change of round {round}");
            h.Etcd.Restart(victim);
            await h.Etcd.WaitHealthyAsync(TimeSpan.FromSeconds(30));
        }
    }

    [Fact]
    public async Task With_every_etcd_member_stopped_the_registry_keeps_its_view_says_it_is_down_and_recovers_when_etcd_returns()
    {
        await using var h = await RegistryHarness.StartAsync();
        var (a, logA) = await h.AddAsync("SHA256:aaa");
        var (b, _) = await h.AddAsync("SHA256:bbb");
        await b.PublishRoutesAsync(Routes(1, "b1")).WaitAsync(Soon);
        await RegistryHarness.Eventually(() => Sees(a, "SHA256:bbb") && a.View.Routes.ContainsKey("SHA256:bbb"), Soon, "a sees b and its routes");
        var before = a.View;
        var downs = new List<RegistryHealth>();
        a.HealthChanged += (_, health) => { lock (downs) { downs.Add(health); } };

        for (int i = 0; i < h.Etcd.Count; i++)
        {
            h.Etcd.Kill(i);
        }

        await RegistryHarness.Eventually(() => !a.Health.Up && !b.Health.Up, Soon, "both say etcd is down");
        Assert.Contains("serving from the last view", a.Health.Describe("etcd"), StringComparison.Ordinal);
        Assert.True(logA.Said(4201), "the log says etcd is unreachable");
        Assert.Same(before.Members, a.View.Members); // the last view, kept whole
        Assert.Same(before.Routes, a.View.Routes);

        // A change wanted while down is kept and written when etcd is back.
        var pending = b.PublishRoutesAsync(Routes(2, "b2"));
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.False(pending.IsCompleted, "nothing can be written while etcd is down");

        for (int i = 0; i < h.Etcd.Count; i++)
        {
            h.Etcd.Restart(i);
        }

        await pending.WaitAsync(TimeSpan.FromSeconds(30));
        await RegistryHarness.Eventually(() => a.Health.Up && b.Health.Up, TimeSpan.FromSeconds(30), "both up again without a restart");
        await RegistryHarness.Eventually(() => a.View.Routes.TryGetValue("SHA256:bbb", out var l) && l.Version == 2, Soon, "a sees the change made while etcd was down");
        Assert.True(logA.Said(4202), "the log says etcd is back");
        lock (downs)
        {
            Assert.Equal([false, true], downs.Select(d => d.Up).Distinct().ToList());
        }

        // Changes after the return flow as before.
        await a.PutGrantAsync("SHA256:new", "SHA256:new new roles=client").WaitAsync(Soon);
        await RegistryHarness.Eventually(() => b.View.Grants.ContainsKey("SHA256:new"), Soon, "b sees a grant made after the return");
        Assert.True(Sees(b, "SHA256:aaa", "SHA256:bbb"));
    }

    [Fact]
    public async Task A_lease_that_ended_while_the_member_lived_is_granted_again_and_its_keys_written_again()
    {
        await using var h = await RegistryHarness.StartAsync();
        var (a, _) = await h.AddAsync("SHA256:aaa", h.Options(TimeSpan.FromSeconds(3)));
        var (b, logB) = await h.AddAsync("SHA256:bbb", h.Options(TimeSpan.FromSeconds(3)));
        await b.PublishRoutesAsync(Routes(5, "b5")).WaitAsync(Soon);
        await RegistryHarness.Eventually(() => a.View.Routes.ContainsKey("SHA256:bbb"), Soon, "a sees b's routes");
        long lease = b.LeaseId;

        // As if etcd had been away longer than the TTL: the lease is gone, and with it b's keys.
        var (code, output) = await h.Etcd.EtcdctlAsync(["lease", "revoke", lease.ToString("x", System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.True(code == 0, output);
        await RegistryHarness.Eventually(() => !Sees(a, "SHA256:bbb"), Soon, "b's keys went with its lease");

        await RegistryHarness.Eventually(() => Sees(a, "SHA256:bbb") && a.View.Routes.TryGetValue("SHA256:bbb", out var l) && l.Version == 5, Soon, "b wrote its keys again under a new lease");
        Assert.NotEqual(lease, b.LeaseId);
        Assert.True(logB.Said(4203));
    }

    [Fact]
    public async Task A_grant_written_through_one_registry_is_seen_by_all_and_so_is_its_removal()
    {
        await using var h = await RegistryHarness.StartAsync();
        var (a, _) = await h.AddAsync("SHA256:aaa");
        var (b, _) = await h.AddAsync("SHA256:bbb");
        var (c, _) = await h.AddAsync("SHA256:ccc");
        const string line = "SHA256:Qm1k/x+y alice roles=client domains=demo";
        await b.PutGrantAsync("SHA256:Qm1k/x+y", line).WaitAsync(Soon);
        foreach (var r in (EtcdRegistry[])[a, b, c])
        {
            await RegistryHarness.Eventually(() => r.View.Grants.TryGetValue("SHA256:Qm1k/x+y", out var g) && g == line, Soon, $"{r.LocalId} has the grant");
        }

        await c.RemoveGrantAsync("SHA256:Qm1k/x+y").WaitAsync(Soon);
        foreach (var r in (EtcdRegistry[])[a, b, c])
        {
            await RegistryHarness.Eventually(() => !r.View.Grants.ContainsKey("SHA256:Qm1k/x+y"), Soon, $"{r.LocalId} lost the grant");
        }

        // Grants hold no lease: they outlive the member that wrote them.
        await a.PutGrantAsync("SHA256:keep", "SHA256:keep keep roles=gateway").WaitAsync(Soon);
        await a.DisposeAsync();
        await Task.Delay(500);
        Assert.True(b.View.Grants.ContainsKey("SHA256:keep"));
        await Assert.ThrowsAsync<ArgumentException>(() => b.PutGrantAsync("SHA256:x", "two\nlines"));
    }

    [Fact]
    public async Task A_watch_that_resumes_after_a_compaction_reads_everything_again_and_misses_no_change()
    {
        await using var h = await RegistryHarness.StartAsync();
        var (a, logA) = await h.AddAsync("SHA256:aaa");
        var (b, _) = await h.AddAsync("SHA256:bbb");
        var (c, _) = await h.AddAsync("SHA256:ccc");
        await b.PutGrantAsync("SHA256:old", "SHA256:old old roles=client").WaitAsync(Soon);
        await RegistryHarness.Eventually(() => Sees(a, "SHA256:bbb", "SHA256:ccc") && a.View.Grants.ContainsKey("SHA256:old"), Soon, "a sees everything");
        int resyncs = a.Resyncs;

        a.PauseWatch();
        await Task.Delay(300);
        await b.PublishRoutesAsync(Routes(9, "b9")).WaitAsync(Soon);
        await b.RemoveGrantAsync("SHA256:old").WaitAsync(Soon);
        await b.PutGrantAsync("SHA256:new", "SHA256:new new roles=client").WaitAsync(Soon);
        await c.DisposeAsync();
        long revision = await h.Etcd.RevisionAsync();
        var (code, output) = await h.Etcd.EtcdctlAsync(["compact", revision.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.True(code == 0, output);
        Assert.False(a.View.Routes.ContainsKey("SHA256:bbb"), "a's watch was held back");

        a.ResumeWatch();
        await RegistryHarness.Eventually(() => a.Resyncs > resyncs, Soon, "a read the whole prefix again");
        Assert.True(logA.Said(4204), "the compaction is logged");
        await RegistryHarness.Eventually(() => a.View.Routes.TryGetValue("SHA256:bbb", out var l) && l.Version == 9, Soon, "b's routes");
        Assert.False(a.View.Grants.ContainsKey("SHA256:old"), "the removal made during the gap");
        Assert.True(a.View.Grants.ContainsKey("SHA256:new"), "the grant made during the gap");
        Assert.False(Sees(a, "SHA256:ccc"), "the member that left during the gap");
        Assert.Equal(b.View.Members.Keys.Order(), a.View.Members.Keys.Order());
        Assert.True(a.Health.Up);

        // And it watches on from there.
        await b.PublishRoutesAsync(Routes(10, "b10")).WaitAsync(Soon);
        await RegistryHarness.Eventually(() => a.View.Routes["SHA256:bbb"].Version == 10, Soon, "a change after the resync");
    }

    [Fact]
    public async Task Broken_values_under_the_prefix_are_ignored_with_a_warning_and_the_watch_goes_on()
    {
        await using var h = await RegistryHarness.StartAsync();
        var (a, log) = await h.AddAsync("SHA256:aaa");
        foreach (var (key, value) in (ValueTuple<string, string>[])
        [
            ("/gatehouse/test/members/SHA256:bad", "{not json"),
            ("/gatehouse/test/members/SHA256:empty", "{}"),
            ("/gatehouse/test/routes/SHA256:bad", "no version line"),
            ("/gatehouse/test/grants/SHA256:bad", "two\nlines"),
            ("/gatehouse/test/unknown/x", "whatever"),
        ])
        {
            var (code, output) = await h.Etcd.EtcdctlAsync(["put", key, value]);
            Assert.True(code == 0, output);
        }

        await RegistryHarness.Eventually(() => log.Lines.Count(l => l.Id == 4205) >= 4, Soon, "four warnings (the unknown kind is not ours to judge)");
        Assert.False(a.View.Members.ContainsKey("SHA256:bad") || a.View.Members.ContainsKey("SHA256:empty"));
        Assert.False(a.View.Routes.ContainsKey("SHA256:bad") || a.View.Grants.ContainsKey("SHA256:bad"));

        // The watch is still alive: a good change after the bad ones arrives, and a fresh read skips them too.
        var (b, _) = await h.AddAsync("SHA256:bbb");
        await RegistryHarness.Eventually(() => a.View.Members.ContainsKey("SHA256:bbb"), Soon, "a sees b after the broken values");
        await RegistryHarness.Eventually(() => b.View.Members.Count == 2 && b.View.Members.ContainsKey("SHA256:aaa"), Soon, "b sees a and itself, nothing broken");
        Assert.True(a.Health.Up && b.Health.Up);
    }

    [Fact]
    public async Task A_watch_held_back_without_a_compaction_resumes_from_its_revision_without_reading_everything_again()
    {
        await using var h = await RegistryHarness.StartAsync();
        var (a, _) = await h.AddAsync("SHA256:aaa");
        var (b, _) = await h.AddAsync("SHA256:bbb");
        await RegistryHarness.Eventually(() => Sees(a, "SHA256:bbb"), Soon, "a sees b");
        int resyncs = a.Resyncs;
        a.PauseWatch();
        await Task.Delay(300);
        await b.PublishRoutesAsync(Routes(4, "b4")).WaitAsync(Soon);
        await b.PutGrantAsync("SHA256:g", "SHA256:g g roles=client").WaitAsync(Soon);
        a.ResumeWatch();
        await RegistryHarness.Eventually(() => a.View.Routes.ContainsKey("SHA256:bbb") && a.View.Grants.ContainsKey("SHA256:g"), Soon, "a caught up");
        Assert.Equal(resyncs, a.Resyncs);
    }
}
