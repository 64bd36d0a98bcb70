using Gatehouse.Cluster.Security;

namespace Gatehouse.Membership.Tests.Security;

public class ReplayWindowTests
{
    private static bool Offer(ReplayWindow w, ulong c)
    {
        if (!w.CanAccept(c))
        {
            return false;
        }

        w.Accept(c);
        return true;
    }

    [Fact]
    public void Each_counter_is_accepted_once()
    {
        var w = new ReplayWindow(2048);
        Assert.True(Offer(w, 1));
        Assert.False(Offer(w, 1));
        Assert.True(Offer(w, 2));
        Assert.False(Offer(w, 2));
    }

    [Fact]
    public void Reordered_counters_inside_the_window_pass_and_their_replays_do_not()
    {
        var w = new ReplayWindow(2048);
        Assert.True(Offer(w, 3000));
        Assert.True(Offer(w, 2999));
        Assert.True(Offer(w, 1000));   // 2,000 behind: inside
        Assert.False(Offer(w, 1000));
        Assert.False(Offer(w, 952));   // 2,048 behind: outside
        Assert.True(Offer(w, 953));    // 2,047 behind: the oldest still inside
    }

    [Fact]
    public void Sliding_forward_forgets_the_bits_of_counters_it_passes()
    {
        var w = new ReplayWindow(64);
        Assert.True(Offer(w, 10));
        Assert.True(Offer(w, 74));     // bit of 10 is reused for 74
        Assert.False(Offer(w, 10));    // 64 behind: outside
        Assert.True(Offer(w, 73));     // its bit was cleared by the slide
        Assert.True(Offer(w, 1_000_000));
        Assert.True(Offer(w, 999_999));
        Assert.False(Offer(w, 1_000_000));
    }

    [Fact]
    public void A_random_stream_of_duplicates_is_judged_like_a_set_would()
    {
        var random = new Random(7);
        var w = new ReplayWindow(256);
        var seen = new HashSet<ulong>();
        ulong highest = 0;
        for (int i = 0; i < 100_000; i++)
        {
            ulong c = (ulong)Math.Max(1, (long)highest + random.Next(-300, 20));
            bool expected = !seen.Contains(c) && (highest < 256 || c > highest - 256);
            Assert.Equal(expected, Offer(w, c));
            if (expected)
            {
                seen.Add(c);
                highest = Math.Max(highest, c);
            }
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(63)]
    [InlineData(100)]
    [InlineData(131_072)]
    public void Window_sizes_outside_the_range_are_refused(int size) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReplayWindow(size));
}
