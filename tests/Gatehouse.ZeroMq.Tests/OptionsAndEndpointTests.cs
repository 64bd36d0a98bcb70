using Gatehouse.ZeroMq.Internal;
using Gatehouse.ZeroMq.Internal.Zmtp;

namespace Gatehouse.ZeroMq.Tests;

public class OptionsAndEndpointTests
{
    [Fact]
    public void Defaults_are_the_documented_safe_values()
    {
        var options = ZeroMqBackendOptions.Default;

        Assert.Equal(8, options.PoolSizePerEndpoint);
        Assert.Equal(1024, options.MaxQueuedCallsPerEndpoint);
        Assert.Equal(TimeSpan.FromSeconds(30), options.CallTimeout);
        Assert.Equal(16L * 1024 * 1024, options.MaxReplyBytes);
        Assert.Equal(65_536, options.MaxReplyParts);
        Assert.Equal(TimeSpan.Zero, options.Linger);
        Assert.Equal(TimeSpan.FromMilliseconds(100), options.ReconnectInterval);
        Assert.Equal(ZeroMqTagForm.Long, options.RequestTags);
        options.Validate();
    }

    public static TheoryData<ZeroMqBackendOptions, string> Invalid => new()
    {
        { new() { PoolSizePerEndpoint = 0 }, "PoolSizePerEndpoint" },
        { new() { PoolSizePerEndpoint = 1025 }, "PoolSizePerEndpoint" },
        { new() { MaxQueuedCallsPerEndpoint = -1 }, "MaxQueuedCallsPerEndpoint" },
        { new() { CallTimeout = TimeSpan.Zero }, "CallTimeout" },
        { new() { CallTimeout = TimeSpan.FromDays(2) }, "CallTimeout" },
        { new() { MaxReplyBytes = 0 }, "MaxReplyBytes" },
        { new() { MaxReplyParts = 1 }, "MaxReplyParts" },
        { new() { Linger = TimeSpan.FromSeconds(-1) }, "Linger" },
        { new() { ReconnectInterval = TimeSpan.Zero }, "ReconnectInterval" },
        { new() { RequestTags = (ZeroMqTagForm)7 }, "RequestTags" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Out_of_range_options_are_rejected_by_name(ZeroMqBackendOptions options, string name)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.Equal(name, ex.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ZeroMqBackend(options));
    }

    [Theory]
    [InlineData("tcp://127.0.0.1:5555", false)]
    [InlineData("tcp://backend.example.org:1", false)]
    [InlineData("tcp://[::1]:65535", false)]
    [InlineData("ipc:///run/gatehouse/backend.sock", true)]
    [InlineData("ipc://relative.sock", true)]
    public void Valid_endpoints(string endpoint, bool isIpc) => Assert.Equal(isIpc, EndpointAddress.IsIpc(endpoint));

    [Theory]
    [InlineData("")]
    [InlineData("127.0.0.1:5555")]
    [InlineData("inproc://x")]
    [InlineData("TCP://127.0.0.1:5555")]
    [InlineData("tcp://127.0.0.1")]
    [InlineData("tcp://127.0.0.1:0")]
    [InlineData("tcp://127.0.0.1:70000")]
    [InlineData("tcp://127.0.0.1:*")]
    [InlineData("tcp://:5555")]
    [InlineData("ipc://")]
    public void Invalid_endpoints_are_argument_errors(string endpoint) =>
        Assert.ThrowsAny<ArgumentException>(() => EndpointAddress.IsIpc(endpoint));

    [Fact]
    public async Task CallAsync_validates_before_doing_anything()
    {
        await using var backend = new ZeroMqBackend();

        await Assert.ThrowsAnyAsync<ArgumentException>(() => backend.CallAsync("udp://x:1", [], [], null, default));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => backend.CallAsync("tcp://127.0.0.1:9", [], [], TimeSpan.Zero, default));
        await Assert.ThrowsAsync<ArgumentException>(() => backend.CallAsync("tcp://127.0.0.1:9", [], [new("", "x")], null, default));
        Assert.Empty(backend.GetStatistics());
    }

    [Fact]
    public async Task Disposed_backend_refuses_calls_and_disposes_twice_quietly()
    {
        var backend = new ZeroMqBackend();
        await backend.DisposeAsync();
        await backend.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => backend.CallAsync("tcp://127.0.0.1:9", [], [], null, default));
    }

    [Fact]
    public void Zmtp_greeting_is_64_bytes_of_version_3_null()
    {
        var greeting = ZmtpWire.Greeting();

        Assert.Equal(64, greeting.Length);
        Assert.Equal(0xFF, greeting[0]);
        Assert.Equal(0x7F, greeting[9]);
        Assert.Equal(3, greeting[10]);
        Assert.Equal("NULL"u8.ToArray(), greeting[12..16]);
        Assert.Null(ZmtpWire.CheckGreeting(greeting));
        var curve = (byte[])greeting.Clone();
        "CURVE"u8.CopyTo(curve.AsSpan(12));
        Assert.Contains("CURVE", ZmtpWire.CheckGreeting(curve), StringComparison.Ordinal);
        Assert.NotNull(ZmtpWire.CheckGreeting(new byte[64]));
    }

    [Fact]
    public void Zmtp_ready_command_round_trips()
    {
        var frame = ZmtpWire.ReadyCommand("REQ");

        Assert.Equal(ZmtpWire.FlagCommand, frame[0]);
        Assert.Equal(frame.Length - 2, frame[1]);
        Assert.True(ZmtpWire.TryParseCommand(frame.AsSpan(2), out var name, out var type, out var reason));
        Assert.Equal("READY", name);
        Assert.Equal("REQ", type);
        Assert.Null(reason);
        Assert.False(ZmtpWire.TryParseCommand(frame.AsSpan(2, frame.Length - 3), out _, out _, out _));
    }

    [Fact]
    public void Zmtp_request_has_delimiter_more_flags_and_long_sizes()
    {
        var big = new byte[300];
        var wire = ZmtpWire.EncodeRequest(["A"u8.ToArray(), big]);

        Assert.Equal(new byte[] { 0x01, 0x00, 0x01, 0x01, (byte)'A', 0x02, 0, 0, 0, 0, 0, 0, 0x01, 0x2c }, wire[..14]);
        Assert.Equal(14 + 300, wire.Length);
    }
}
