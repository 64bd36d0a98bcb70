using Gatehouse.ZeroMq.Protocol;

namespace Gatehouse.ZeroMq.Tests;

public sealed class IpcPeers : PeerPair
{
    private static readonly TempDir Directory = new();

    public IpcPeers()
        : base(name => Directory.Ipc(name + "-" + Guid.NewGuid().ToString("N")[..8] + ".sock"))
    {
    }

    public static string NewEndpoint(string name) => Directory.Ipc(name + "-" + Guid.NewGuid().ToString("N")[..8] + ".sock");
}

/// <summary>The backend contract over ipc:// (the built-in ZMTP client on a Unix socket) against libzmq.</summary>
public sealed class IpcBackendTests(IpcPeers peers) : BackendContractTests(peers), IClassFixture<IpcPeers>
{
    protected override PythonPeer StartRestartablePeer() => PythonPeer.Start("rep", IpcPeers.NewEndpoint("restart"));

    protected override PythonPeer RestartPeer(string endpoint) => PythonPeer.Start("rep", endpoint);

    [Fact]
    public async Task A_single_part_over_the_byte_limit_is_refused_from_its_declared_size()
    {
        await using var backend = new ZeroMqBackend(new ZeroMqBackendOptions { MaxReplyBytes = 1000 });

        var ex = await Assert.ThrowsAsync<ZeroMqProtocolException>(() => Call(backend, Peers.Router.Endpoint, "big", "100000"));

        Assert.Equal(ZeroMqProtocolErrorKind.TooLarge, ex.Error.Kind);
        Assert.Contains("declares 100000 bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nobody_listening_fails_fast_with_a_clear_error()
    {
        await using var backend = new ZeroMqBackend();
        var endpoint = IpcPeers.NewEndpoint("absent");

        var ex = await Assert.ThrowsAsync<ZeroMqException>(
            () => backend.CallAsync(endpoint, Bytes.Args("seed"), [], TimeSpan.FromSeconds(10), default));

        Assert.Contains("Could not connect", ex.Message, StringComparison.Ordinal);
        Assert.Equal(endpoint, ex.Endpoint);
    }
}
