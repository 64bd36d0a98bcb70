namespace Gatehouse.Gateway.Tests;

/// <summary>Gateway settings check themselves: every value outside its range is named, the defaults pass.</summary>
public sealed class GatewayOptionsTests
{
    private static readonly GatewayOptions Defaults = new() { StateDirectory = "/tmp/gatehouse-options-test" };

    [Fact]
    public void The_defaults_are_valid() => Assert.Same(Defaults, Defaults.Validate());

    public static TheoryData<string, Func<GatewayOptions, GatewayOptions>> OutOfRange => new()
    {
        { "Listen", o => o with { Listen = [] } },
        { "HandshakeTimeout", o => o with { HandshakeTimeout = TimeSpan.Zero } },
        { "HandshakeTimeout", o => o with { HandshakeTimeout = TimeSpan.FromMinutes(6) } },
        { "InactivityTimeout", o => o with { InactivityTimeout = TimeSpan.FromSeconds(-1) } },
        { "InactivityTimeout", o => o with { InactivityTimeout = TimeSpan.FromDays(2) } },
        { "QueueLength", o => o with { QueueLength = -1 } },
        { "QueueLength", o => o with { QueueLength = 2_000_000 } },
        { "QueueTimeout", o => o with { QueueTimeout = TimeSpan.Zero } },
        { "DrainTimeout", o => o with { DrainTimeout = TimeSpan.FromSeconds(-1) } },
        { "ReceiveBlockSize", o => o with { ReceiveBlockSize = 100 } },
        { "ReceiveBlockSize", o => o with { ReceiveBlockSize = 64 * 1024 * 1024 } },
        { "MaxConnections", o => o with { MaxConnections = 0 } },
        { "MaxRequestsPerPrincipal", o => o with { Limits = o.Limits with { MaxRequestsPerPrincipal = -1 } } },
        { "Protocol", o => o with { Protocol = o.Protocol with { MaxFrameSize = 10 } } },
        { "RemctlServiceAcl", o => o with { RemctlServiceAcl = "nosuchmethod:x" } },
        { "StateDirectory", o => o with { StateDirectory = " " } },
    };

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void A_value_out_of_range_is_refused_with_its_name(string name, Func<GatewayOptions, GatewayOptions> change)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => change(Defaults).Validate());
        Assert.Equal(name, ex.ParamName);
    }

    [Fact]
    public void Zero_inactivity_and_zero_receive_block_size_mean_never_and_kestrels_pool()
    {
        var o = Defaults with { InactivityTimeout = TimeSpan.Zero, ReceiveBlockSize = 0, MaxConnections = null, QueueLength = 0 };
        Assert.Same(o, o.Validate());
    }
}
