using Gatehouse.Cluster.Membership;

namespace Gatehouse.Membership.Tests.Simulation;

/// <summary>The simulator itself: virtual time, ordering, stalls, determinism.</summary>
public class SimulatorTests
{
    [Fact]
    public void Timers_fire_in_virtual_time_order_and_only_when_the_clock_advances()
    {
        var clock = new SimClock();
        var fired = new List<string>();
        using var a = clock.CreateTimer(_ => fired.Add($"a@{clock.Elapsed.TotalMilliseconds}"), null, TimeSpan.FromMilliseconds(30), Timeout.InfiniteTimeSpan);
        using var b = clock.CreateTimer(_ => fired.Add($"b@{clock.Elapsed.TotalMilliseconds}"), null, TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(15));
        Assert.Empty(fired);
        clock.RunFor(TimeSpan.FromMilliseconds(40));
        Assert.Equal(["b@10", "b@25", "a@30", "b@40"], fired);
        b.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        clock.RunFor(TimeSpan.FromSeconds(1));
        Assert.Equal(4, fired.Count);
    }

    [Fact]
    public void A_stalled_host_runs_its_queued_events_in_order_when_the_stall_ends()
    {
        var clock = new SimClock();
        var host = new SimHost();
        var order = new List<(string, double)>();
        clock.Schedule(TimeSpan.FromMilliseconds(100), host, () => order.Add(("one", clock.Elapsed.TotalMilliseconds)));
        clock.Schedule(TimeSpan.FromMilliseconds(200), host, () => order.Add(("two", clock.Elapsed.TotalMilliseconds)));
        clock.Schedule(TimeSpan.FromMilliseconds(150), null, () => order.Add(("other", clock.Elapsed.TotalMilliseconds)));
        host.StalledUntil = TimeSpan.FromMilliseconds(500).Ticks;
        clock.RunFor(TimeSpan.FromSeconds(1));
        Assert.Equal([("other", 150.0), ("one", 500.0), ("two", 500.0)], order);
    }

    [Fact]
    public void The_same_seed_gives_the_same_run()
    {
        static string Run(int seed)
        {
            using var c = new SimCluster(new SimClusterOptions { Size = 8, Seed = seed, Loss = 0.05 });
            c.StartConverged();
            c.Clock.RunFor(TimeSpan.FromSeconds(5));
            c.Kill(3);
            c.Clock.RunFor(TimeSpan.FromSeconds(20));
            return string.Join(",", c.Members.Select(m => $"{m.Endpoint.DatagramsSent}/{m.Endpoint.BytesSent}")) + $"|{c.Clock.EventsRun}|{c.Network.Lost}";
        }

        Assert.Equal(Run(11), Run(11));
        Assert.NotEqual(Run(11), Run(12));
    }

    [Fact]
    public void A_quiet_converged_cluster_sends_only_probes_and_acks()
    {
        using var c = new SimCluster(new SimClusterOptions { Size = 10, Seed = 3 });
        c.StartConverged();
        c.Clock.RunFor(TimeSpan.FromSeconds(60));
        Assert.True(c.AllRunningSeeAllAlive());
        Assert.Equal(0, c.FalseDeaths);
        foreach (SimMember m in c.Members)
        {
            // One probe a second and the acks to others' probes: about 2 datagrams a second, each small.
            double perSecond = m.Endpoint.DatagramsSent / 60.0;
            Assert.InRange(perSecond, 1.5, 2.6);
            Assert.InRange(m.Endpoint.BytesSent / (double)m.Endpoint.DatagramsSent, 40, 80);
            Assert.Equal(0, m.Node!.HealthScore);
        }
    }
}
