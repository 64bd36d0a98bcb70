using Gatehouse.Gateway.Authorization;
using Gatehouse.Gateway.Cluster;
using Microsoft.Extensions.Time.Testing;
using static Gatehouse.Gateway.Tests.GrantLedgerTests;

namespace Gatehouse.Gateway.Tests;

/// <summary>Issue 14, item 5: a member's authorized_peers and cluster_grants kept in step with the cluster.</summary>
public sealed class GrantSyncTests : IDisposable
{
    private readonly List<TempState> states = [];
    private readonly FakeTimeProvider time = new(Start);

    public void Dispose() => states.ForEach(s => s.Dispose());

    private (GrantSync Sync, TempState State) Open(int member, TempState? state = null, Action<TempState>? before = null)
    {
        if (state is null)
        {
            state = new TempState();
            states.Add(state);
        }

        before?.Invoke(state);
        var sync = GrantSync.Open(state.File("authorized_peers"), state.File(GrantStateFile.FileName), Member(member), time);
        return (sync, state);
    }

    private static List<PeerGrant> FileGrants(TempState state) =>
        AuthorizedPeers.Parse(File.ReadAllLines(state.File("authorized_peers")), "authorized_peers");

    [Fact]
    public void A_grant_made_on_one_member_reaches_the_others_file_and_writing_it_is_not_taken_for_a_local_edit()
    {
        var (a, stateA) = Open(1);
        var (b, stateB) = Open(2);
        AuthorizedPeers.Upsert(stateA.File("authorized_peers"), Grant(1, PeerRoles.Gateway, "gw2"));
        var local = a.OnLocalFileChanged();
        Assert.Null(local.Error);
        Assert.Equal(Fp(1), Assert.Single(local.LocalEntries).Fingerprint);

        var applied = b.ApplyRemote(local.LocalEntries);
        Assert.Null(applied.Error);
        Assert.Empty(applied.LocalEntries);
        Assert.Null(Assert.Single(applied.Changes).Before);
        Assert.Equal("roles=gateway", FileGrants(stateB).Single().ToLine().Split(' ')[2]);
        Assert.Contains(GrantSync.ClusterNote, File.ReadAllLines(stateB.File("authorized_peers")));
        Assert.NotNull(new AuthorizedPeers(stateB.File("authorized_peers")).Find(Fp(1))); // the gateway's reader accepts the rendered file

        // The rendered file, observed again, produces nothing (on b, and on a for its own file).
        time.Advance(TimeSpan.FromSeconds(1));
        File.SetLastWriteTimeUtc(stateB.File("authorized_peers"), DateTime.UtcNow.AddSeconds(3)); // force a re-read
        Assert.Empty(b.OnLocalFileChanged().LocalEntries);
        Assert.Empty(a.OnLocalFileChanged().LocalEntries);
        Assert.Equal(a.Digest.Hash, b.Digest.Hash);
    }

    [Fact]
    public void A_revocation_on_any_member_is_reported_as_revoked_elsewhere_and_removed_from_the_file()
    {
        var (a, stateA) = Open(1);
        var (b, stateB) = Open(2);
        AuthorizedPeers.Upsert(stateA.File("authorized_peers"), Grant(1, PeerRoles.Gateway, "gw2"));
        AuthorizedPeers.Upsert(stateA.File("authorized_peers"), Grant(2, PeerRoles.Client, "alice"));
        b.ApplyRemote(a.OnLocalFileChanged().LocalEntries);

        // The operator removes gw2 on b by hand.
        time.Advance(TimeSpan.FromSeconds(2));
        File.WriteAllLines(stateB.File("authorized_peers"), File.ReadAllLines(stateB.File("authorized_peers")).Where(l => !l.Contains("gw2", StringComparison.Ordinal)));
        var removed = b.OnLocalFileChanged();
        Assert.True(Assert.Single(removed.LocalEntries).IsRemoval);

        var onA = a.ApplyRemote(removed.LocalEntries);
        Assert.Equal([Fp(1)], onA.Revoked);
        Assert.True(Assert.Single(onA.Changes).Lost(PeerRoles.Gateway));
        Assert.Equal([Fp(2)], FileGrants(stateA).Select(g => g.Fingerprint));
        Assert.Null(a.Find(Fp(1)));
    }

    [Fact]
    public void A_local_authorize_that_lands_before_a_remote_merge_is_kept_and_spread()
    {
        var (a, _) = Open(1);
        var (b, stateB) = Open(2);
        AuthorizedPeers.Upsert(stateB.File("authorized_peers"), Grant(5)); // not yet seen by b's sweep
        var remote = a.ApplyRemote([new GrantEntry(Fp(6), time.GetUtcNow().ToUnixTimeMilliseconds(), Member(1), Grant(6))]);
        Assert.Empty(remote.LocalEntries);

        var result = b.ApplyRemote(a.Export());
        Assert.Equal(Fp(5), Assert.Single(result.LocalEntries).Fingerprint); // taken in before the file was rewritten
        Assert.Equal(new[] { Fp(5), Fp(6) }.Select(f => f.ToString()).Order(StringComparer.Ordinal), FileGrants(stateB).Select(g => g.Fingerprint.ToString()).Order(StringComparer.Ordinal));
        Assert.NotNull(b.Find(Fp(5)));
        Assert.NotNull(b.Find(Fp(6)));
    }

    [Fact]
    public void Comments_and_line_order_of_a_hand_kept_file_survive_a_render()
    {
        var (_, state) = Open(2, before: s => File.WriteAllLines(s.File("authorized_peers"),
        [
            "# our peers",
            $"{Fp(1)} alice roles=client",
            "# the mail service, ticket 42",
            $"{Fp(2)} mailsvc roles=service domains=mail",
        ]));
        var b = GrantSync.Open(state.File("authorized_peers"), state.File(GrantStateFile.FileName), Member(2), time);
        time.Advance(TimeSpan.FromSeconds(1));
        var changed = new GrantEntry(Fp(1), time.GetUtcNow().ToUnixTimeMilliseconds(), Member(1), Grant(1, PeerRoles.Client | PeerRoles.Admin, "alice"));
        var added = new GrantEntry(Fp(3), time.GetUtcNow().ToUnixTimeMilliseconds(), Member(1), Grant(3, PeerRoles.Gateway, "gw3"));
        Assert.Null(b.ApplyRemote([changed, added]).Error);

        Assert.Equal(
            [
                "# our peers",
                GrantSync.ClusterNote,
                $"{Fp(1)} alice roles=client,admin",
                "# the mail service, ticket 42",
                $"{Fp(2)} mailsvc roles=service domains=mail",
                $"{Fp(3)} gw3 roles=gateway",
            ],
            File.ReadAllLines(state.File("authorized_peers")));
    }

    [Fact]
    public void The_ledger_survives_a_restart_and_a_removal_made_while_down_is_not_undone()
    {
        var (a, stateA) = Open(1);
        AuthorizedPeers.Upsert(stateA.File("authorized_peers"), Grant(1));
        AuthorizedPeers.Upsert(stateA.File("authorized_peers"), Grant(2));
        var first = a.OnLocalFileChanged().LocalEntries;
        var digest = a.Digest;

        var restarted = GrantSync.Open(stateA.File("authorized_peers"), stateA.File(GrantStateFile.FileName), Member(1), time);
        Assert.Null(restarted.StartupError);
        Assert.Empty(restarted.Startup.LocalEntries);
        Assert.Equal(digest.Hash, restarted.Digest.Hash);
        Assert.Equal(first.OrderBy(e => e.Fingerprint.ToString()), restarted.Export().OrderBy(e => e.Fingerprint.ToString()));

        // While this member was down, another revoked grant 2; its stale file still lists it.
        time.Advance(TimeSpan.FromMinutes(5));
        var removal = new GrantEntry(Fp(2), time.GetUtcNow().ToUnixTimeMilliseconds(), Member(3), null);
        var result = restarted.ApplyRemote([removal]);
        Assert.Equal([Fp(2)], result.Revoked);
        Assert.Equal([Fp(1)], FileGrants(stateA).Select(g => g.Fingerprint));

        // Its own old entries again do not bring grant 2 back.
        Assert.Empty(restarted.ApplyRemote(first).Changes);
        Assert.Null(restarted.Find(Fp(2)));
    }

    [Fact]
    public void An_edit_made_while_the_gateway_was_down_is_taken_in_at_start_with_a_new_timestamp()
    {
        var (a, stateA) = Open(1);
        AuthorizedPeers.Upsert(stateA.File("authorized_peers"), Grant(1));
        a.OnLocalFileChanged();
        time.Advance(TimeSpan.FromMinutes(1));
        AuthorizedPeers.Upsert(stateA.File("authorized_peers"), Grant(1, PeerRoles.Service, "peer1", "mail"));

        var restarted = GrantSync.Open(stateA.File("authorized_peers"), stateA.File(GrantStateFile.FileName), Member(1), time);
        var entry = Assert.Single(restarted.Startup.LocalEntries);
        Assert.Equal(time.GetUtcNow().ToUnixTimeMilliseconds(), entry.Timestamp);
        Assert.Equal(PeerRoles.Service, restarted.Find(Fp(1))!.Roles);
    }

    [Theory]
    [InlineData("gatehouse-grants 1 5\nend\n", "cluster_grants:2: expected 'grant TS ORIGIN")]
    [InlineData("not a ledger\n", "cluster_grants:1: expected 'gatehouse-grants")]
    [InlineData("gatehouse-grants 1 0\nbaseline 3\n", "ends before baseline line 1 of 3")]
    public void A_corrupt_state_file_is_reported_in_one_line_and_authorized_peers_is_adopted(string contents, string expected)
    {
        var (_, state) = Open(1);
        AuthorizedPeers.Upsert(state.File("authorized_peers"), Grant(1));
        File.WriteAllText(state.File(GrantStateFile.FileName), contents);

        var sync = GrantSync.Open(state.File("authorized_peers"), state.File(GrantStateFile.FileName), Member(1), time);
        Assert.NotNull(sync.StartupError);
        Assert.Contains(expected, sync.StartupError, StringComparison.Ordinal);
        Assert.Contains("authorized_peers are in force", sync.StartupError, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', sync.StartupError);
        Assert.Equal(0, Assert.Single(sync.Startup.LocalEntries).Timestamp); // adopted as the oldest knowledge
        Assert.NotNull(sync.Find(Fp(1)));

        // The next save replaces the corrupt file with a good one.
        var again = GrantSync.Open(state.File("authorized_peers"), state.File(GrantStateFile.FileName), Member(1), time);
        Assert.Null(again.StartupError);
        Assert.NotNull(again.Find(Fp(1)));
    }

    [Fact]
    public void A_world_writable_state_file_is_refused_like_a_corrupt_one()
    {
        var (a, state) = Open(1);
        AuthorizedPeers.Upsert(state.File("authorized_peers"), Grant(1));
        a.OnLocalFileChanged();
        File.SetUnixFileMode(state.File(GrantStateFile.FileName), (UnixFileMode)0b110_110_110);
        var sync = GrantSync.Open(state.File("authorized_peers"), state.File(GrantStateFile.FileName), Member(1), time);
        Assert.Contains("writable by group or others", sync.StartupError, StringComparison.Ordinal);
    }

    [Fact]
    public void A_broken_authorized_file_is_neither_spread_nor_overwritten_and_the_ledger_still_answers()
    {
        var (b, state) = Open(2);
        AuthorizedPeers.Upsert(state.File("authorized_peers"), Grant(1));
        b.OnLocalFileChanged();
        string broken = File.ReadAllText(state.File("authorized_peers")) + "SHA256:zz mid-edit\n";
        File.WriteAllText(state.File("authorized_peers"), broken);

        var step = b.OnLocalFileChanged();
        Assert.Contains("authorized_peers:", step.Error, StringComparison.Ordinal);
        var revoke = new GrantEntry(Fp(1), time.GetUtcNow().ToUnixTimeMilliseconds() + 10, Member(1), null);
        var applied = b.ApplyRemote([revoke]);
        Assert.Equal([Fp(1)], applied.Revoked); // reported, so the caller can act on it
        Assert.NotNull(applied.Error);
        Assert.Null(b.Find(Fp(1)));
        Assert.Equal(broken, File.ReadAllText(state.File("authorized_peers")));
        var afterRestart = GrantSync.Open(state.File("authorized_peers"), state.File(GrantStateFile.FileName), Member(2), time);
        Assert.True(afterRestart.Export().Single(e => e.Fingerprint == Fp(1)).IsRemoval); // the merged removal was saved

        // Once fixed, the file is rewritten from the ledger.
        File.WriteAllLines(state.File("authorized_peers"), [$"{Fp(1)} peer1 roles=client", $"{Fp(3)} new roles=client"]);
        var fixedStep = b.OnLocalFileChanged();
        Assert.Null(fixedStep.Error);
        Assert.Equal(Fp(3), Assert.Single(fixedStep.LocalEntries).Fingerprint); // grant 1 was already in the file before: not a new edit
        Assert.Equal([Fp(3)], FileGrants(state).Select(g => g.Fingerprint));
    }

    [Fact]
    public void A_deleted_authorized_file_is_written_again_and_revokes_nothing()
    {
        var (a, state) = Open(1);
        AuthorizedPeers.Upsert(state.File("authorized_peers"), Grant(1));
        a.OnLocalFileChanged();
        File.Delete(state.File("authorized_peers"));
        var step = a.OnLocalFileChanged();
        Assert.Empty(step.LocalEntries);
        Assert.Equal([Fp(1)], FileGrants(state).Select(g => g.Fingerprint));
    }
}
