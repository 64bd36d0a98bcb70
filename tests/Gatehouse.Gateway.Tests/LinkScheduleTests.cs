using Gatehouse.Gateway.Membership;
using Gatehouse.Transport.Connections;
using Microsoft.Extensions.Time.Testing;

namespace Gatehouse.Gateway.Tests;

/// <summary>The schedule of dials to a member (seed 003's RPC link parameters), on a fake clock.</summary>
public sealed class LinkScheduleTests
{
    [Fact]
    public void Failed_attempts_back_off_exponentially_with_jitter_up_to_the_maximum_then_stop_until_the_member_is_alive_again()
    {
        var options = ConnectionOptions.Default with { InitialBackoff = TimeSpan.FromSeconds(1), MaxBackoff = TimeSpan.FromSeconds(10), MaxRetries = 5 };
        var clock = new FakeTimeProvider();
        var schedule = new LinkSchedule(options, clock, new Random(7));
        Assert.Null(schedule.Refusal("m"));

        // Attempt 1 fails, then reconnection attempts 1..5: ceilings 1, 2, 4, 8, 10 (capped) s, each delay in [ceiling/2, ceiling].
        double[] ceilings = [1, 2, 4, 8, 10];
        foreach (double ceiling in ceilings)
        {
            var delay = schedule.Failed("m");
            Assert.NotNull(delay);
            Assert.InRange(delay.Value.TotalSeconds, ceiling / 2, ceiling);
            Assert.NotNull(schedule.Refusal("m")); // not yet
            clock.Advance(delay.Value - TimeSpan.FromMilliseconds(1));
            Assert.NotNull(schedule.Refusal("m"));
            clock.Advance(TimeSpan.FromMilliseconds(1));
            Assert.Null(schedule.Refusal("m")); // due
        }

        // The fifth reconnection attempt fails too: no more attempts, however long we wait.
        Assert.Null(schedule.Failed("m"));
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Contains("until gossip reports it alive", schedule.Refusal("m"), StringComparison.Ordinal);

        // Gossip reports it alive: dialling starts over.
        schedule.MemberAlive("m");
        Assert.Null(schedule.Refusal("m"));
        Assert.InRange(schedule.Failed("m")!.Value.TotalSeconds, 0.5, 1);
    }

    [Fact]
    public void A_connection_that_works_resets_the_schedule_and_members_are_independent()
    {
        var clock = new FakeTimeProvider();
        var schedule = new LinkSchedule(ConnectionOptions.Default, clock);
        schedule.Failed("a");
        schedule.Failed("a");
        Assert.NotNull(schedule.Refusal("a"));
        Assert.Null(schedule.Refusal("b"));
        schedule.Succeeded("a");
        Assert.Null(schedule.Refusal("a"));
    }

    [Fact]
    public void The_defaults_are_seed_003s_rpc_parameters()
    {
        var links = new ClusterOptions().Links;
        Assert.Equal(TimeSpan.FromSeconds(1), links.ConnectTimeout);
        Assert.Equal(5, links.MaxRetries);
        Assert.Equal(TimeSpan.FromMinutes(3), links.MaxBackoff);
        Assert.Equal(TimeSpan.FromMinutes(5), new ClusterOptions().LinkInactivityTimeout);
    }
}
