using Gatehouse.Cluster.Membership;
using Gatehouse.Membership.Tests.Simulation;

namespace Gatehouse.Membership.Tests.Membership;

/// <summary>SWIM and Lifeguard behaviour in seeded simulations of the real state machine.</summary>
public class MembershipScenarioTests
{
    private static SimCluster Converged(int size, int seed, double loss = 0, SwimOptions? swim = null)
    {
        var c = new SimCluster(new SimClusterOptions { Size = size, Seed = seed, Loss = loss, Swim = swim ?? SwimOptions.Default });
        c.StartConverged();
        c.Clock.RunFor(TimeSpan.FromSeconds(3));
        return c;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void A_crashed_member_is_seen_dead_by_every_member_within_8_seconds_at_10_members(int seed)
    {
        using SimCluster c = Converged(10, seed);
        c.Kill(4);
        long killedAt = c.Clock.Now;
        Assert.True(c.Clock.RunUntil(() => c.AllRunningSee(4, MemberState.Dead), TimeSpan.FromSeconds(30)));
        double seconds = TimeSpan.FromTicks(c.Clock.Now - killedAt).TotalSeconds;
        Assert.InRange(seconds, 1, 8);
        Assert.Equal(0, c.FalseDeaths);
    }

    [Fact]
    public void A_probe_soon_hint_makes_a_member_probe_that_one_next_instead_of_in_its_turn()
    {
        // 50 members: in its own shuffled round, member 0 reaches any one member about every 50 s.
        // Member 0 and member 7 are cut off from the rest (so nothing about 7 is heard from others),
        // 7 dies, and member 0 is told its link to 7 closed: its next probe goes to 7 and fails.
        using SimCluster c = Converged(50, 11);
        c.Partition(i => i is 0 or 7 ? 0 : 1);
        c.Kill(7);
        c.Members[0].Node!.ProbeSoon(c.Members[7].Id);
        c.Clock.RunFor(TimeSpan.FromSeconds(2.2)); // at most one probe interval to the next tick, one for the probe
        Assert.True(c.StateSeenBy(0, 7) is MemberState.Suspect or MemberState.Dead, $"member 0 sees member 7 as {c.StateSeenBy(0, 7)}");
    }

    [Fact]
    public void A_member_that_left_stays_left_when_its_metadata_changes_afterwards()
    {
        // Seen: a gateway leaving on shutdown still published metadata as its services detached
        // (its route table changed); the new incarnation announced it alive again to the others.
        using SimCluster c = Converged(6, 12);
        c.Leave(2, linger: TimeSpan.FromSeconds(30));
        c.Clock.RunFor(TimeSpan.FromSeconds(3));
        Assert.True(c.AllRunningSee(2, MemberState.Left));
        c.Members[2].Node!.UpdateMetadata(new byte[] { 1, 2, 3 });
        c.Clock.RunFor(TimeSpan.FromSeconds(10));
        Assert.True(c.AllRunningSee(2, MemberState.Left), $"member 0 sees member 2 as {c.StateSeenBy(0, 2)}");
    }

    [Fact]
    public void Joining_through_one_member_gives_everyone_the_full_view()
    {
        using var c = new SimCluster(new SimClusterOptions { Size = 20, Seed = 5 });
        c.StartByJoining();
        Assert.True(c.Clock.RunUntil(c.AllRunningSeeAllAlive, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void A_falsely_suspected_member_refutes_with_a_higher_incarnation_and_stays_alive()
    {
        using SimCluster c = Converged(10, 7);
        SwimNode victim = c.Members[2].Node!;
        uint before = victim.Incarnation;
        // Member 5 suspects member 2 as if a probe had failed; member 2 hears it and refutes.
        SwimNode accuser = c.Members[5].Node!;
        accuser.MergeRemoteState([accuser.Find(victim.Id)! with { State = MemberState.Suspect }]);
        Assert.Equal(MemberState.Suspect, c.StateSeenBy(5, 2));
        c.Clock.RunFor(TimeSpan.FromSeconds(3));
        Assert.True(victim.Incarnation > before);
        Assert.True(victim.Counters.Refutations >= 1);
        Assert.True(c.AllRunningSee(2, MemberState.Alive));
        c.Clock.RunFor(TimeSpan.FromSeconds(60));
        Assert.True(c.AllRunningSee(2, MemberState.Alive));
        Assert.Equal(0, c.FalseDeaths);
    }

    [Fact]
    public void A_suspicion_ends_sooner_with_independent_confirmations()
    {
        // At 10 members: the shortest suspicion is 4 s, the longest 24 s; 2 confirmations expected.
        static double TimeToDeadAt(SimCluster c, int observer, int subject, long from)
        {
            c.Clock.RunUntil(() => c.StateSeenBy(observer, subject) == MemberState.Dead, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(10));
            return TimeSpan.FromTicks(c.Clock.Now - from).TotalSeconds;
        }

        // Alone: member 0 suspects member 9 while the others cannot hear member 0's gossip... simplest isolation:
        // everyone else is partitioned away from member 0 and member 9 is crashed; no confirmations arrive.
        using SimCluster lone = Converged(10, 8);
        lone.Kill(9);
        lone.Partition(i => i == 0 || i == 9 ? 1 : 2);
        SwimNode n0 = lone.Members[0].Node!;
        long t0 = lone.Clock.Now;
        n0.MergeRemoteState([n0.Find("gw-0009")! with { State = MemberState.Suspect }]);
        double alone = TimeToDeadAt(lone, 0, 9, t0);

        // Confirmed: the same suspicion, and two other members accuse it too.
        using SimCluster confirmed = Converged(10, 8);
        confirmed.Kill(9);
        confirmed.Partition(i => i == 0 || i == 9 ? 1 : 2);
        SwimNode m0 = confirmed.Members[0].Node!;
        long t1 = confirmed.Clock.Now;
        m0.MergeRemoteState([m0.Find("gw-0009")! with { State = MemberState.Suspect }]);
        DeliverSuspect(confirmed, to: 0, subject: 9, from: 3);
        DeliverSuspect(confirmed, to: 0, subject: 9, from: 4);
        double withTwo = TimeToDeadAt(confirmed, 0, 9, t1);

        Assert.InRange(alone, 23.5, 24.5);      // 6 x 4 s, unshrunk
        Assert.InRange(withTwo, 3.9, 4.6);     // both expected confirmations: the 4 s minimum
    }

    private static void DeliverSuspect(SimCluster c, int to, int subject, int from)
    {
        // A suspect gossiped by member `from`, sealed by it and received by `to` as the network would.
        SimMember sender = c.Members[from];
        SimMember target = c.Members[to];
        var msg = new Gatehouse.Cluster.Wire.SuspectMessage(target.Node!.Find(c.Members[subject].Id)!.Incarnation, c.Members[subject].Id, sender.Id);
        byte[] body = new byte[Gatehouse.Cluster.Wire.MessageWriter.SizeOf(msg)];
        Gatehouse.Cluster.Wire.MessageWriter.Write(msg, body);
        byte[] datagram = new byte[body.Length + sender.Security!.Overhead];
        sender.Security.Seal(body, datagram);
        target.Node.Receive(sender.Address, datagram);
    }

    [Fact]
    public void A_partition_is_healed_and_everyone_is_alive_again()
    {
        using SimCluster c = Converged(12, 9);
        c.Partition(i => i < 6 ? 1 : 2);
        c.Clock.RunFor(TimeSpan.FromSeconds(60));
        Assert.Equal(MemberState.Dead, c.StateSeenBy(0, 11));
        Assert.Equal(MemberState.Dead, c.StateSeenBy(11, 0));
        Assert.Equal(MemberState.Alive, c.StateSeenBy(0, 5));
        c.Heal();
        // Reconnect attempts (every 30 s) and gossip to the recently dead bring both sides back.
        Assert.True(c.Clock.RunUntil(c.AllRunningSeeAllAlive, TimeSpan.FromSeconds(120)));
    }

    [Fact]
    public void After_a_mass_restart_every_member_is_alive_again()
    {
        using SimCluster c = Converged(30, 10);
        c.Clock.RunFor(TimeSpan.FromSeconds(10));
        for (int i = 0; i < 30; i++)
        {
            c.Kill(i);
        }

        var random = new Random(10);
        c.Clock.RunFor(TimeSpan.FromSeconds(5));
        for (int i = 0; i < 30; i++)
        {
            int index = i;
            c.Clock.Schedule(TimeSpan.FromSeconds(2 * random.NextDouble()), null, () => c.Restart(index, [0, 1, 2]));
        }

        Assert.True(c.Clock.RunUntil(() => c.Members.All(m => m.Running) && c.AllRunningSeeAllAlive(), TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public void A_member_that_leaves_is_seen_left_not_dead()
    {
        using SimCluster c = Converged(10, 11);
        c.Leave(6, TimeSpan.FromSeconds(1));
        Assert.True(c.Clock.RunUntil(() => c.AllRunningSee(6, MemberState.Left), TimeSpan.FromSeconds(3)));
        c.Clock.RunFor(TimeSpan.FromSeconds(60));
        Assert.True(c.AllRunningSee(6, MemberState.Left));
        Assert.Equal(0, c.FalseDeaths);
    }

    [Fact]
    public void A_restarted_member_rejoins_and_is_alive_everywhere()
    {
        using SimCluster c = Converged(10, 12);
        c.Kill(3);
        Assert.True(c.Clock.RunUntil(() => c.AllRunningSee(3, MemberState.Dead), TimeSpan.FromSeconds(30)));
        c.Restart(3, [0]);
        Assert.True(c.Clock.RunUntil(c.AllRunningSeeAllAlive, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void Metadata_changes_reach_every_member()
    {
        using SimCluster c = Converged(20, 13);
        byte[] meta = [1, 2, 3, 4];
        long t0 = c.Clock.Now;
        c.Members[7].Node!.UpdateMetadata(meta);
        Assert.True(c.Clock.RunUntil(() => c.Members.All(m => m.Node!.Find("gw-0007")!.Metadata.Span.SequenceEqual(meta)), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(10)));
        Assert.True(TimeSpan.FromTicks(c.Clock.Now - t0) < TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void Ten_percent_loss_for_ten_minutes_kills_no_one()
    {
        using SimCluster c = Converged(10, 14, loss: 0.10);
        c.Clock.RunFor(TimeSpan.FromMinutes(10));
        Assert.Equal(0, c.FalseDeaths);
        Assert.True(c.AllRunningSeeAllAlive());
    }

    [Fact]
    public void A_member_stalled_2_of_every_10_seconds_is_never_declared_dead()
    {
        using SimCluster c = Converged(10, 15);
        for (int k = 0; k < 30; k++)
        {
            c.Clock.RunFor(TimeSpan.FromSeconds(8));
            c.Stall(5, TimeSpan.FromSeconds(2));
            c.Clock.RunFor(TimeSpan.FromSeconds(2));
        }

        Assert.Equal(0, c.FalseDeaths);
    }

    [Fact]
    public void When_udp_is_blocked_the_reliable_path_keeps_both_alive()
    {
        using SimCluster c = Converged(3, 16, swim: SwimOptions.Default with { IndirectChecks = 0 });
        c.Network.BlockUdp(c.Members[0].Address, c.Members[1].Address);
        c.Clock.RunFor(TimeSpan.FromMinutes(2));
        Assert.Equal(MemberState.Alive, c.StateSeenBy(0, 1));
        Assert.Equal(MemberState.Alive, c.StateSeenBy(1, 0));
        Assert.Equal(0, c.FalseDeaths);
        Assert.True(c.Members[0].Node!.Counters.ReliablePingsOk > 10);
    }
}

public class LocalHealthTests
{
    [Fact]
    public void Probing_a_crashed_member_does_not_hurt_the_health_of_healthy_members()
    {
        using var c = new SimCluster(new SimClusterOptions { Size = 10, Seed = 31 });
        c.StartConverged();
        c.Kill(2);
        c.Clock.RunFor(TimeSpan.FromSeconds(30));
        // The helpers' nacks arrive in time, so failed probes of a dead member are not this member's fault.
        Assert.All(c.Members.Where(m => m.Running), m => Assert.Equal(0, m.Node!.HealthScore));
    }

    [Fact]
    public void A_member_cut_off_from_everyone_slows_its_own_probing()
    {
        using var c = new SimCluster(new SimClusterOptions { Size = 10, Seed = 32 });
        c.StartConverged();
        c.Clock.RunFor(TimeSpan.FromSeconds(2));
        c.Partition(i => i == 0 ? 1 : 2);
        c.Clock.RunFor(TimeSpan.FromSeconds(20));
        Assert.Equal(7, c.Members[0].Node!.HealthScore);   // the 8x maximum
        long probes = c.Members[0].Node!.Counters.Probes;
        long healthy = c.Members[5].Node!.Counters.Probes;
        c.Clock.RunFor(TimeSpan.FromSeconds(16));
        Assert.InRange(c.Members[0].Node!.Counters.Probes - probes, 1, 3);   // one every 8 s
        Assert.InRange(c.Members[5].Node!.Counters.Probes - healthy, 14, 17);   // one a second
    }
}
