using Gatehouse.Protocol;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Transport.Tests;

/// <summary>Each options record checks every setting against its documented range.</summary>
public class OptionsTests
{
    public static TheoryData<string, MuxOptions> BadMuxOptions => new()
    {
        { nameof(MuxOptions.HelloTimeout), new MuxOptions { HelloTimeout = TimeSpan.Zero } },
        { nameof(MuxOptions.HelloTimeout), new MuxOptions { HelloTimeout = TimeSpan.FromMinutes(6) } },
        { nameof(MuxOptions.InactivityTimeout), new MuxOptions { InactivityTimeout = TimeSpan.FromDays(30) } },
        { nameof(MuxOptions.WriteTimeout), new MuxOptions { WriteTimeout = TimeSpan.MaxValue } },
        { nameof(MuxOptions.MaxBufferedOutput), new MuxOptions { MaxBufferedOutput = 65_535 } },
        { nameof(MuxOptions.MaxBufferedOutput), new MuxOptions { MaxBufferedOutput = MuxOptions.MaxBufferLimit + 1 } },
        { nameof(MuxOptions.MaxBufferedInput), new MuxOptions { MaxBufferedInput = -1 } },
        { nameof(MuxOptions.MaxBufferedInput), new MuxOptions { MaxBufferedInput = MuxOptions.MaxBufferLimit + 1 } },
        { nameof(MuxOptions.Settings), new MuxOptions { Settings = ProtocolSettings.Default with { MaxFrameSize = 1000 } } },
        { nameof(MuxOptions.Settings), new MuxOptions { Settings = ProtocolSettings.Default with { ConnectionWindow = 1 } } },
        { nameof(MuxOptions.Settings), new MuxOptions { Settings = ProtocolSettings.Default with { KeepAliveIntervalMs = -1 } } },
    };

    [Theory]
    [MemberData(nameof(BadMuxOptions))]
    public void Mux_options_out_of_range_are_refused_naming_the_setting(string name, MuxOptions options)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => options.Validate());
        Assert.Equal(name, ex.ParamName);
    }

    [Fact]
    public void A_connection_refuses_bad_mux_options_when_built()
    {
        var (a, _) = DuplexPipe.CreatePair();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new MuxConnection(a, isDialer: true, new MuxOptions { Settings = ProtocolSettings.Default with { MaxHeaderSize = 10 } }));
        Assert.Equal(nameof(MuxOptions.Settings), ex.ParamName);
        Assert.Contains("MAX_HEADER_SIZE", ex.Message);
    }

    [Fact]
    public void Mux_options_accept_the_defaults_the_edges_and_never_for_the_timeouts()
    {
        Assert.NotNull(new MuxOptions().Validate());
        Assert.NotNull(new MuxOptions
        {
            HelloTimeout = MuxOptions.MaxHelloTimeout,
            InactivityTimeout = TimeSpan.Zero,
            WriteTimeout = TimeSpan.FromSeconds(-1),
            MaxBufferedOutput = MuxOptions.MinBufferedOutput,
            MaxBufferedInput = 0,
        }.Validate());
        Assert.NotNull(new MuxOptions { InactivityTimeout = MuxOptions.MaxTimeout, WriteTimeout = MuxOptions.MaxTimeout, MaxBufferedOutput = MuxOptions.MaxBufferLimit, MaxBufferedInput = MuxOptions.MaxBufferLimit }.Validate());
    }

    public static TheoryData<string, ConnectionOptions> BadConnectionOptions => new()
    {
        { nameof(ConnectionOptions.ConnectTimeout), new ConnectionOptions { ConnectTimeout = TimeSpan.Zero } },
        { nameof(ConnectionOptions.ConnectTimeout), new ConnectionOptions { ConnectTimeout = TimeSpan.FromMinutes(6) } },
        { nameof(ConnectionOptions.CallDeadline), new ConnectionOptions { CallDeadline = TimeSpan.Zero } },
        { nameof(ConnectionOptions.CallDeadline), new ConnectionOptions { CallDeadline = TimeSpan.FromDays(25) } },
        { nameof(ConnectionOptions.MaxRetries), new ConnectionOptions { MaxRetries = -1 } },
        { nameof(ConnectionOptions.MaxRetries), new ConnectionOptions { MaxRetries = 101 } },
        { nameof(ConnectionOptions.InitialBackoff), new ConnectionOptions { InitialBackoff = TimeSpan.Zero } },
        { nameof(ConnectionOptions.InitialBackoff), new ConnectionOptions { InitialBackoff = TimeSpan.FromSeconds(10), MaxBackoff = TimeSpan.FromSeconds(5) } },
        { nameof(ConnectionOptions.MaxBackoff), new ConnectionOptions { MaxBackoff = TimeSpan.Zero } },
        { nameof(ConnectionOptions.MaxBackoff), new ConnectionOptions { MaxBackoff = TimeSpan.FromHours(2) } },
    };

    [Theory]
    [MemberData(nameof(BadConnectionOptions))]
    public void Connection_options_out_of_range_are_refused_naming_the_setting(string name, ConnectionOptions options)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => options.Validate());
        Assert.Equal(name, ex.ParamName);
    }

    [Fact]
    public void Connection_options_accept_the_defaults_and_the_edges()
    {
        Assert.NotNull(ConnectionOptions.Default.Validate());
        Assert.NotNull(new ConnectionOptions
        {
            ConnectTimeout = ConnectionOptions.MaxConnectTimeout,
            CallDeadline = ConnectionOptions.MaxCallDeadline,
            MaxRetries = 0,
            InitialBackoff = ConnectionOptions.MaxBackoffLimit,
            MaxBackoff = ConnectionOptions.MaxBackoffLimit,
        }.Validate());
        Assert.NotNull(new ConnectionOptions { MaxRetries = ConnectionOptions.MaxRetriesLimit, CallDeadline = null }.Validate());
    }

    [Fact]
    public async Task The_dialer_refuses_bad_options_before_connecting()
    {
        using var identity = Security.PeerIdentity.CreateEphemeral("client");

        // Port 1 on loopback: nothing listens, so any attempt to connect would fail differently.
        var endpoint = new Endpoint("127.0.0.1", 1);
        var ex = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Dialer.ConnectAsync(endpoint, identity, _ => true, new ConnectionOptions { MaxRetries = -1 }));
        Assert.Equal(nameof(ConnectionOptions.MaxRetries), ex.ParamName);
        ex = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Dialer.ConnectAsync(endpoint, identity, _ => true, ConnectionOptions.Default, new MuxOptions { MaxBufferedInput = -5 }));
        Assert.Equal(nameof(MuxOptions.MaxBufferedInput), ex.ParamName);
    }
}
