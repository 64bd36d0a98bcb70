namespace Gatehouse.ZeroMq.Tests;

public sealed class TcpPeers : PeerPair
{
    public TcpPeers()
        : base(_ => "tcp://127.0.0.1:*")
    {
    }
}

/// <summary>The backend contract over tcp:// (NetMQ REQ sockets on the poller thread) against libzmq.</summary>
public sealed class TcpBackendTests(TcpPeers peers) : BackendContractTests(peers), IClassFixture<TcpPeers>
{
    protected override PythonPeer StartRestartablePeer() => PythonPeer.Start("rep");

    protected override PythonPeer RestartPeer(string endpoint) => PythonPeer.Start("rep", endpoint);

    [Fact]
    public async Task A_single_part_over_the_byte_limit_is_dropped_by_the_transport_and_times_out()
    {
        await using var backend = new ZeroMqBackend(new ZeroMqBackendOptions { MaxReplyBytes = 1000, PoolSizePerEndpoint = 1 });
        var endpoint = Peers.Router.Endpoint;

        var ex = await Assert.ThrowsAsync<ZeroMqTimeoutException>(
            () => backend.CallAsync(endpoint, Bytes.Args("big", "5000"), Environment, TimeSpan.FromMilliseconds(700), default));
        Assert.True(ex.RequestSent);

        Assert.Equal(23, Assert.IsType<ZeroMqReply.ReturnCode>(await Call(backend, endpoint, "seed")).Code);
    }

    [Fact]
    public async Task Nobody_listening_is_a_timeout_because_zeromq_connects_lazily()
    {
        await using var backend = new ZeroMqBackend();

        var ex = await Assert.ThrowsAsync<ZeroMqTimeoutException>(
            () => backend.CallAsync("tcp://127.0.0.1:9", Bytes.Args("seed"), [], TimeSpan.FromMilliseconds(300), default));
        Assert.True(ex.RequestSent);
    }
}
