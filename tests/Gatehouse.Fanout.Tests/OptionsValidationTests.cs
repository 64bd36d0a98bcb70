using Gatehouse.Client;
using Gatehouse.Client.Fanout;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Mux;
using Gatehouse.Transport.Security;

namespace Gatehouse.Fanout.Tests;

/// <summary>ClientOptions and FanoutClientOptions check every value when it is set, with one clear exception naming it.</summary>
public sealed class OptionsValidationTests : IDisposable
{
    private readonly PeerIdentity _identity = PeerIdentity.CreateEphemeral("options");

    public void Dispose() => _identity.Dispose();

    public static TheoryData<string, ConnectionOptions> BadConnections => new()
    {
        { "ConnectTimeout", new ConnectionOptions { ConnectTimeout = TimeSpan.Zero } },
        { "ConnectTimeout", new ConnectionOptions { ConnectTimeout = TimeSpan.FromHours(1) } },
        { "CallDeadline", new ConnectionOptions { CallDeadline = TimeSpan.Zero } },
        { "CallDeadline", new ConnectionOptions { CallDeadline = TimeSpan.FromDays(60) } },
        { "MaxRetries", new ConnectionOptions { MaxRetries = -1 } },
        { "MaxRetries", new ConnectionOptions { MaxRetries = ConnectionOptions.MaxRetriesLimit + 1 } },
        { "MaxRetries", new ConnectionOptions { MaxRetries = int.MaxValue } },
        { "InitialBackoff", new ConnectionOptions { InitialBackoff = TimeSpan.Zero } },
        { "InitialBackoff", new ConnectionOptions { InitialBackoff = TimeSpan.FromSeconds(10), MaxBackoff = TimeSpan.FromSeconds(1) } },
        { "MaxBackoff", new ConnectionOptions { MaxBackoff = TimeSpan.FromDays(1) } },
    };

    [Theory]
    [MemberData(nameof(BadConnections))]
    public void Connection_values_outside_their_limits_are_refused_by_both_option_records_and_the_policy(string field, ConnectionOptions bad)
    {
        var single = Assert.Throws<ArgumentOutOfRangeException>(() => new ClientOptions { Identity = _identity, Pins = _ => null, Connection = bad });
        var fanout = Assert.Throws<ArgumentOutOfRangeException>(() => new FanoutClientOptions { Identity = _identity, Connection = bad });
        var policy = Assert.Throws<ArgumentOutOfRangeException>(() => new RetryPolicy(bad));
        Assert.Equal($"Connection.{field}", single.ParamName);
        Assert.Equal($"Connection.{field}", fanout.ParamName);
        Assert.Equal($"options.{field}", policy.ParamName);
        Assert.Contains($"Connection.{field} must", single.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_defaults_and_the_limits_themselves_are_accepted()
    {
        Assert.Same(ConnectionOptions.Default, new ClientOptions { Identity = _identity, Pins = _ => null }.Connection);
        var edge = new ConnectionOptions
        {
            ConnectTimeout = ConnectionOptions.MaxConnectTimeout,
            CallDeadline = ConnectionOptions.MaxCallDeadline,
            MaxRetries = ConnectionOptions.MaxRetriesLimit,
            InitialBackoff = ConnectionOptions.MaxBackoffLimit,
            MaxBackoff = ConnectionOptions.MaxBackoffLimit,
        };
        Assert.Same(edge, new ClientOptions { Identity = _identity, Pins = _ => null, Connection = edge }.Connection);
        Assert.Same(edge, new FanoutClientOptions { Identity = _identity, Connection = edge }.Connection);
        Assert.Equal(ConnectionOptions.MaxRetriesLimit, new RetryPolicy(edge).MaxRetries);
    }

    [Fact]
    public void Nulls_are_refused_with_the_option_name()
    {
        Assert.Equal("Identity", Assert.Throws<ArgumentNullException>(() => new ClientOptions { Identity = null!, Pins = _ => null }).ParamName);
        Assert.Equal("Pins", Assert.Throws<ArgumentNullException>(() => new ClientOptions { Identity = _identity, Pins = null! }).ParamName);
        Assert.Equal("Connection", Assert.Throws<ArgumentNullException>(() => new ClientOptions { Identity = _identity, Pins = _ => null, Connection = null! }).ParamName);
        Assert.Equal("TimeProvider", Assert.Throws<ArgumentNullException>(() => new ClientOptions { Identity = _identity, Pins = _ => null, TimeProvider = null! }).ParamName);
        Assert.Equal("Mux", Assert.Throws<ArgumentNullException>(() => new FanoutClientOptions { Identity = _identity, Mux = null! }).ParamName);
        Assert.Equal("Pins", Assert.Throws<ArgumentNullException>(() => new FanoutClientOptions { Identity = _identity, Pins = null! }).ParamName);
        Assert.Equal("Identity", Assert.Throws<ArgumentNullException>(() => new FanoutClientOptions { Identity = null! }).ParamName);
    }

    [Fact]
    public void Bad_mux_limits_and_fanout_width_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ClientOptions { Identity = _identity, Pins = _ => null, Mux = new MuxOptions { HelloTimeout = TimeSpan.Zero } });
        Assert.Throws<ArgumentOutOfRangeException>(() => new FanoutClientOptions { Identity = _identity, Mux = new MuxOptions { MaxBufferedOutput = 1 } });
        Assert.Throws<ArgumentOutOfRangeException>(() => new FanoutClientOptions { Identity = _identity, MaxFanout = 0 });
        var tooWide = Assert.Throws<ArgumentOutOfRangeException>(() => new FanoutClientOptions { Identity = _identity, MaxFanout = FanoutClientOptions.MaxFanoutLimit + 1 });
        Assert.Equal("MaxFanout", tooWide.ParamName);
    }

    [Fact]
    public void A_with_expression_is_checked_too()
    {
        var good = new FanoutClientOptions { Identity = _identity };
        Assert.Throws<ArgumentOutOfRangeException>(() => good with { Connection = good.Connection with { MaxRetries = -5 } });
    }
}
