using Gatehouse.Gateway.Authorization;
using Gatehouse.Gateway.Cluster;
using Gatehouse.Transport.Security;
using Microsoft.Extensions.Time.Testing;

namespace Gatehouse.Gateway.Tests;

/// <summary>Issue 14, item 5: the grant ledger's merge rule, clock and tombstones.</summary>
public sealed class GrantLedgerTests
{
    internal static readonly DateTimeOffset Start = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    internal static Fingerprint Fp(int n)
    {
        byte[] hash = new byte[32];
        BitConverter.TryWriteBytes(hash, n);
        hash[31] = 0x5A;
        return Fingerprint.Parse("SHA256:" + Convert.ToBase64String(hash));
    }

    internal static string Member(int n) => Fp(1_000_000 + n).ToString();

    internal static PeerGrant Grant(int n, PeerRoles roles = PeerRoles.Client, string? name = null, params string[] domains) =>
        new(Fp(n), name ?? "peer" + n, roles, domains);

    private static GrantLedger Ledger(int member, TimeProvider time, GrantLedgerOptions? options = null) =>
        new(Member(member), time, options);

    private static string State(GrantLedger ledger) => string.Join('\n', ledger.Export().Select(GrantCodec.EntryLine));

    [Fact]
    public void Merging_random_operations_in_random_orders_over_five_ledgers_converges_to_identical_state()
    {
        for (int seed = 1; seed <= 40; seed++)
        {
            var random = new Random(seed);
            var time = new FakeTimeProvider(Start);
            int members = random.Next(3, 6);
            var makers = Enumerable.Range(0, members).Select(m => Ledger(m, time)).ToList();
            var all = new List<GrantEntry>();

            // Each member edits its own file a few times (grants, changes, removals of a small key space, so they conflict).
            var files = makers.Select(_ => new Dictionary<Fingerprint, PeerGrant>()).ToList();
            for (int step = 0; step < 60; step++)
            {
                int m = random.Next(members);
                int key = random.Next(8);
                if (random.Next(3) == 0)
                {
                    files[m].Remove(Fp(key));
                }
                else
                {
                    var roles = (PeerRoles)random.Next(1, 16);
                    files[m][Fp(key)] = Grant(key, roles, "n" + random.Next(3));
                }

                all.AddRange(makers[m].ObserveLocal([.. files[m].Values]));
                if (random.Next(4) == 0)
                {
                    time.Advance(TimeSpan.FromMilliseconds(random.Next(0, 3))); // many equal wall-clock readings
                }

                if (random.Next(5) == 0)
                {
                    // A member sometimes hears from another before its next edit.
                    int other = random.Next(members);
                    makers[m].Merge(makers[other].Export());
                }
            }

            all.AddRange(makers.SelectMany(l => l.Export())); // entries learned by merges, again: idempotence

            // Fresh replicas get every entry in a different order, some in duplicate, in batches of random size.
            var replicas = Enumerable.Range(10, members).Select(m => Ledger(m, time)).ToList();
            foreach (var replica in replicas)
            {
                var shuffled = all.Concat(all.Take(random.Next(all.Count))).OrderBy(_ => random.Next()).ToList();
                for (int i = 0; i < shuffled.Count;)
                {
                    int n = random.Next(1, 20);
                    replica.Merge(shuffled.Skip(i).Take(n));
                    i += n;
                }
            }

            // The makers converge too once each has everything.
            foreach (var maker in makers)
            {
                maker.Merge(all.OrderBy(_ => random.Next()));
            }

            string expected = State(replicas[0]);
            Assert.NotEmpty(replicas[0].Export());
            foreach (var ledger in replicas.Concat(makers))
            {
                Assert.Equal(expected, State(ledger));
                Assert.Equal(replicas[0].Digest.Hash, ledger.Digest.Hash);
            }

            // Associativity in the large: merging one ledger's state into another equals merging the entries directly.
            var chained = Ledger(20, time);
            chained.Merge(makers[0].Export());
            var viaOther = Ledger(21, time);
            viaOther.Merge(replicas[1].Export());
            chained.Merge(viaOther.Export());
            Assert.Equal(expected, State(chained));
        }
    }

    [Fact]
    public void Conflicting_concurrent_grants_on_two_members_resolve_the_same_way_on_both()
    {
        var time = new FakeTimeProvider(Start);
        var a = Ledger(1, time);
        var b = Ledger(2, time);
        var toA = a.ObserveLocal([Grant(7, PeerRoles.Client, "alice")]);
        var toB = b.ObserveLocal([Grant(7, PeerRoles.Client | PeerRoles.Admin, "alice")]);
        Assert.Equal(toA.Single().Timestamp, toB.Single().Timestamp); // truly concurrent: same wall-clock millisecond

        a.Merge(toB);
        b.Merge(toA);

        // Same timestamp: the higher origin (ordinal) wins, on both.
        string winner = string.CompareOrdinal(a.Origin, b.Origin) > 0 ? "client" : "client,admin";
        Assert.Equal(winner, a.Find(Fp(7))!.RolesText);
        Assert.Equal(winner, b.Find(Fp(7))!.RolesText);
        Assert.Equal(a.Digest.Hash, b.Digest.Hash);
    }

    [Fact]
    public void A_removal_beats_an_older_grant_and_loses_to_a_newer_one()
    {
        var time = new FakeTimeProvider(Start);
        var a = Ledger(1, time);
        var b = Ledger(2, time);
        var granted = a.ObserveLocal([Grant(3)]);
        b.Merge(granted);
        time.Advance(TimeSpan.FromSeconds(1));
        var removed = b.ObserveLocal([]);
        Assert.True(Assert.Single(removed).IsRemoval);

        var (changes, _) = a.Merge(removed);
        Assert.Null(a.Find(Fp(3)));
        Assert.True(Assert.Single(changes).Revoked);

        // The old grant again (a member that was down) does not bring it back.
        Assert.Empty(a.Merge(granted).Changes);
        Assert.Null(a.Find(Fp(3)));

        // A newer grant does.
        time.Advance(TimeSpan.FromSeconds(1));
        var regranted = b.ObserveLocal([Grant(3, PeerRoles.Service)]);
        var (again, _) = a.Merge(regranted);
        Assert.Equal(PeerRoles.Service, a.Find(Fp(3))!.Roles);
        Assert.Null(Assert.Single(again).Before);
        Assert.Empty(a.Merge(removed).Changes); // and the older removal no longer applies
    }

    [Fact]
    public void A_member_whose_clock_is_an_hour_behind_still_overrides_a_grant_it_has_seen()
    {
        var time = new FakeTimeProvider(Start);
        var slowTime = new FakeTimeProvider(Start - TimeSpan.FromHours(1));
        var a = Ledger(1, time);
        var slow = Ledger(2, slowTime);

        var granted = a.ObserveLocal([Grant(5, PeerRoles.Gateway)]);
        slow.Merge(granted);
        slowTime.Advance(TimeSpan.FromSeconds(5));
        var revoked = slow.ObserveLocal([]);
        Assert.True(revoked.Single().Timestamp > granted.Single().Timestamp);
        Assert.Equal(granted.Single().Timestamp + 1, revoked.Single().Timestamp); // max(wall, last seen + 1)

        var (changes, refused) = a.Merge(revoked);
        Assert.Equal(0, refused);
        Assert.True(Assert.Single(changes).Lost(PeerRoles.Gateway));
        Assert.Null(a.Find(Fp(5)));

        // Without the hybrid clock the slow member's removal would have been an hour older and lost.
        Assert.True(slowTime.GetUtcNow().ToUnixTimeMilliseconds() < granted.Single().Timestamp);
    }

    [Fact]
    public void A_grant_equal_to_the_ledgers_current_value_makes_no_entry()
    {
        var time = new FakeTimeProvider(Start);
        var a = Ledger(1, time);
        var b = Ledger(2, time);
        b.Merge(a.ObserveLocal([Grant(1), Grant(2, PeerRoles.Service, null, "mail")]));
        b.MarkRendered([]); // b's file has not been written yet

        // The operator makes the same grant on b by hand: nothing new to spread.
        Assert.Empty(b.ObserveLocal([Grant(2, PeerRoles.Service, null, "mail")]));
        Assert.Empty(a.ObserveLocal([Grant(1), Grant(2, PeerRoles.Service, null, "mail")]));

        // roles=admin reads back as client,admin: the same grant, not a change.
        var admin = new PeerGrant(Fp(9), "root", PeerRoles.Admin, []);
        var made = a.ObserveLocal([Grant(1), Grant(2, PeerRoles.Service, null, "mail"), admin]);
        Assert.Equal("client,admin", made.Single().Grant!.RolesText);
        Assert.Empty(a.ObserveLocal(AuthorizedPeers.Parse(a.LiveGrants().Select(g => g.ToLine()), "f")));
    }

    [Fact]
    public void A_remote_grant_not_yet_written_to_the_file_is_not_taken_for_a_local_removal()
    {
        var time = new FakeTimeProvider(Start);
        var a = Ledger(1, time);
        var b = Ledger(2, time);
        b.ObserveLocal([Grant(1)]);
        b.Merge(a.ObserveLocal([Grant(2)]));

        // b's file still holds only grant 1 plus a new local grant 3: grant 2 is not removed.
        var made = b.ObserveLocal([Grant(1), Grant(3)]);
        Assert.Equal(Fp(3), made.Single().Fingerprint);
        Assert.NotNull(b.Find(Fp(2)));
    }

    [Fact]
    public void Adopted_grants_are_the_oldest_knowledge_and_lose_to_any_change_the_cluster_made()
    {
        var time = new FakeTimeProvider(Start);
        var cluster = Ledger(1, time);
        cluster.ObserveLocal([Grant(1, PeerRoles.Client | PeerRoles.Admin), Grant(2)]);
        var removal = cluster.ObserveLocal([Grant(1, PeerRoles.Client | PeerRoles.Admin)]); // 2 revoked

        var restarted = Ledger(2, time); // lost its cluster_grants; its file still has the old grants
        var adopted = restarted.Adopt([Grant(1), Grant(2), Grant(4)]);
        Assert.All(adopted, e => Assert.Equal(0, e.Timestamp));

        restarted.Merge(cluster.Export());
        Assert.Equal("client,admin", restarted.Find(Fp(1))!.RolesText);
        Assert.Null(restarted.Find(Fp(2)));
        Assert.NotNull(restarted.Find(Fp(4))); // only it knew: kept and spread
        cluster.Merge(adopted);
        Assert.Equal(restarted.Digest.Hash, cluster.Digest.Hash);
        Assert.Single(removal);
    }

    [Fact]
    public void Tombstones_are_dropped_after_their_lifetime_and_beyond_the_count_oldest_first()
    {
        var time = new FakeTimeProvider(Start);
        var a = Ledger(1, time, new GrantLedgerOptions { MaxTombstones = 3, TombstoneLifetime = TimeSpan.FromDays(30) });
        var grants = Enumerable.Range(0, 6).Select(i => Grant(i)).ToList();
        a.ObserveLocal(grants);
        for (int i = 0; i < 5; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            a.ObserveLocal(grants.Skip(i + 1).ToList());
        }

        Assert.Equal(3, a.TombstoneCount);
        Assert.Null(a.Entry(Fp(0))); // oldest removals dropped
        Assert.Null(a.Entry(Fp(1)));
        Assert.True(a.Entry(Fp(2))!.IsRemoval);

        time.Advance(TimeSpan.FromDays(31));
        Assert.Equal(3, a.Purge());
        Assert.Equal(0, a.TombstoneCount);
        Assert.NotNull(a.Find(Fp(5)));

        // An expired removal from a member that has not purged yet leaves no tombstone behind...
        long expired = time.GetUtcNow().AddDays(-30.5).ToUnixTimeMilliseconds();
        Assert.Empty(a.Merge([new GrantEntry(Fp(0), expired, Member(2), null)]).Changes);
        Assert.Null(a.Entry(Fp(0)));

        // ...but still removes a grant older than itself.
        var (changes, _) = a.Merge([new GrantEntry(Fp(5), expired, Member(2), null)]);
        Assert.True(Assert.Single(changes).Revoked);
        Assert.Equal(0, a.TombstoneCount);
    }

    [Fact]
    public void An_entry_stamped_more_than_a_day_ahead_is_refused_and_does_not_move_the_clock()
    {
        var time = new FakeTimeProvider(Start);
        var a = Ledger(1, time);
        long future = Start.AddDays(2).ToUnixTimeMilliseconds();
        var (changes, refused) = a.Merge([new GrantEntry(Fp(1), future, Member(2), Grant(1))]);
        Assert.Empty(changes);
        Assert.Equal(1, refused);
        Assert.Null(a.Find(Fp(1)));
        Assert.True(a.Clock.Last < future);
    }

    [Fact]
    public void Since_returns_what_was_stored_after_a_version_and_the_digest_tracks_every_change()
    {
        var time = new FakeTimeProvider(Start);
        var a = Ledger(1, time);
        var b = Ledger(2, time);
        a.ObserveLocal([Grant(1), Grant(2)]);
        var d1 = a.Digest;
        Assert.Equal(2, d1.Version);
        b.Merge(a.Since(0));
        Assert.Equal(d1.Hash, b.Digest.Hash);

        time.Advance(TimeSpan.FromSeconds(1));
        a.ObserveLocal([Grant(2, PeerRoles.Service), Grant(3)]);
        Assert.NotEqual(d1.Hash, a.Digest.Hash);
        var delta = a.Since(d1.Version);
        Assert.Equal(3, delta.Count); // 1 removed, 2 changed, 3 added
        b.Merge(delta);
        Assert.Equal(a.Digest.Hash, b.Digest.Hash);
        Assert.Empty(a.Since(a.Digest.Version));
    }

    [Fact]
    public void Entries_refuse_values_outside_their_rules()
    {
        Assert.Throws<ArgumentException>(() => new GrantEntry(Fp(1), 1, "SHA256:nope", null));
        Assert.Throws<ArgumentException>(() => new GrantEntry(Fp(1), 1, Member(1), Grant(2)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GrantEntry(Fp(1), -1, Member(1), null));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GrantEntry(Fp(1), GrantEntry.MaxTimestamp + 1, Member(1), null));
        Assert.Throws<ArgumentException>(() => new GrantEntry(Fp(1), 1, Member(1), new PeerGrant(Fp(1), "bad name", PeerRoles.Client, [])));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GrantLedgerOptions { MaxTombstones = 0 }.Validate());
    }
}
