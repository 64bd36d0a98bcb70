using System.Diagnostics;

namespace Gatehouse.Gateway.Tests;

public sealed class RemoteHostNamesTests
{
    [Fact]
    public async Task A_loopback_address_resolves_and_is_then_cached()
    {
        var names = new RemoteHostNames(TimeSpan.FromSeconds(5));
        Assert.Null(names.Cached("127.0.0.1"));
        Assert.Equal("localhost", await names.ResolveAsync("127.0.0.1", CancellationToken.None));
        Assert.Equal("localhost", names.Cached("127.0.0.1"));
    }

    [Fact]
    public async Task No_address_or_an_unanswered_lookup_gives_no_name_within_the_timeout()
    {
        var names = new RemoteHostNames(TimeSpan.FromMilliseconds(200));
        Assert.Null(await names.ResolveAsync(string.Empty, CancellationToken.None));
        Assert.Null(await names.ResolveAsync("not-an-address", CancellationToken.None));
        var clock = Stopwatch.StartNew();
        string? name = await names.ResolveAsync("192.0.2.77", CancellationToken.None); // TEST-NET-1: no PTR record
        Assert.Null(name);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"waited {clock.Elapsed}"); // bounded by the timeout, not by DNS
    }

    [Fact]
    public void The_gateway_resolves_unless_told_not_to_and_the_timeout_is_bounded()
    {
        Assert.True(new GatewayOptions().ResolveRemoteHost);
        Assert.Equal(TimeSpan.FromMilliseconds(500), new GatewayOptions().RemoteHostTimeout);
        Assert.Throws<ArgumentOutOfRangeException>(() => new GatewayOptions { StateDirectory = "/tmp/x", RemoteHostTimeout = TimeSpan.FromMinutes(1) }.Validate());
    }
}
