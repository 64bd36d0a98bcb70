using Gatehouse.Gateway.Pipeline.Locators;
using Microsoft.Extensions.Time.Testing;

namespace Gatehouse.Gateway.Tests;

public sealed class LocateCacheTests
{
    [Fact]
    public async Task An_answer_is_kept_for_its_ttl_and_asked_again_after()
    {
        var time = new FakeTimeProvider();
        var cache = new LocateCache(100, time);
        int asked = 0;
        Task<Located> Ask() { asked++; return Task.FromResult(new Located("gw" + asked, null, TimeSpan.FromSeconds(30))); }

        Assert.Equal("gw1", (await cache.GetOrAsk("mail", "alice", Ask)).Member);
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal("gw1", (await cache.GetOrAsk("mail", "alice", Ask)).Member);
        Assert.Equal("gw2", (await cache.GetOrAsk("mail", "bob", Ask)).Member); // another key
        Assert.Equal("gw3", (await cache.GetOrAsk("news", "alice", Ask)).Member); // another domain
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal("gw4", (await cache.GetOrAsk("mail", "alice", Ask)).Member);
        Assert.Equal(4, asked);
    }

    [Fact]
    public async Task Requests_for_a_key_being_asked_about_wait_for_that_one_question()
    {
        var cache = new LocateCache(100, new FakeTimeProvider());
        var answer = new TaskCompletionSource<Located>();
        int asked = 0;
        var waiting = Enumerable.Range(0, 50).Select(_ => cache.GetOrAsk("mail", "alice", () => { Interlocked.Increment(ref asked); return answer.Task; })).ToList();
        Assert.Equal(1, asked);
        answer.SetResult(new Located("gw1", null, TimeSpan.FromSeconds(5)));
        foreach (var w in waiting)
        {
            Assert.Equal("gw1", (await w).Member);
        }
    }

    [Fact]
    public async Task An_answer_with_ttl_zero_or_a_thrown_question_is_not_kept()
    {
        var cache = new LocateCache(100, new FakeTimeProvider());
        int asked = 0;
        await cache.GetOrAsk("mail", "alice", () => { asked++; return Task.FromResult(new Located("gw1", null, TimeSpan.Zero)); });
        await cache.GetOrAsk("mail", "alice", () => { asked++; return Task.FromResult(new Located("gw1", null, TimeSpan.Zero)); });
        Assert.Equal(2, asked);
        var failed = await cache.GetOrAsk("mail", "bob", () => throw new InvalidOperationException("boom"));
        Assert.Equal("boom", failed.Failure);
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public async Task The_cache_stays_within_its_bound_dropping_the_oldest()
    {
        var time = new FakeTimeProvider();
        var cache = new LocateCache(100, time);
        for (int i = 0; i < 1000; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(1));
            await cache.GetOrAsk("mail", "user" + i, () => Task.FromResult(new Located("gw", null, TimeSpan.FromHours(1))));
            Assert.True(cache.Count <= 100, $"{cache.Count} answers kept");
        }

        int asked = 0;
        await cache.GetOrAsk("mail", "user999", () => { asked++; return Task.FromResult(new Located("gw", null, TimeSpan.FromHours(1))); });
        Assert.Equal(0, asked); // the newest are kept
        await cache.GetOrAsk("mail", "user0", () => { asked++; return Task.FromResult(new Located("gw", null, TimeSpan.FromHours(1))); });
        Assert.Equal(1, asked); // the oldest went
    }
}
