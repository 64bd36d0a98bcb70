using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Gatehouse.ZeroMq.Protocol;

namespace Gatehouse.ZeroMq.Tests;

/// <summary>Real libzmq peers (a REP and a ROUTER) for one transport, shared by a test class.</summary>
public abstract class PeerPair : IDisposable
{
    protected PeerPair(Func<string, string> bind)
    {
        Rep = PythonPeer.Start("rep", bind("rep"));
        try
        {
            Router = PythonPeer.Start("router", bind("router"));
        }
        catch
        {
            Rep.Dispose();
            throw;
        }
    }

    public PythonPeer Rep { get; }

    public PythonPeer Router { get; }

    public virtual void Dispose()
    {
        Rep.Dispose();
        Router.Dispose();
    }
}

/// <summary>
/// What the backend must do against real libzmq daemons, whatever the transport. Each derived
/// class runs every test over its own transport (tcp:// via NetMQ, ipc:// via the ZMTP client).
/// </summary>
public abstract class BackendContractTests
{
    protected static readonly KeyValuePair<string, string>[] Environment =
    [
        new("REMOTE_USER", "kula@TPROA.NET"),
        new("REMOTE_ADDR", "204.11.35.93"),
        new("REMOTE_HOST", "keymaster.tproa.net"),
        new("REMCTL_COMMAND", "test"),
    ];

    protected BackendContractTests(PeerPair peers) => Peers = peers;

    protected PeerPair Peers { get; }

    protected static Task<ZeroMqReply> Call(ZeroMqBackend backend, string endpoint, params string[] args) =>
        backend.CallAsync(endpoint, Bytes.Args(args), Environment, TimeSpan.FromSeconds(10), CancellationToken.None);

    protected static string[] Texts(ZeroMqReply reply) => reply.Outputs.Select(o => Bytes.Text(o.Data)).ToArray();

    protected static ZeroMqEndpointStatistics Stats(ZeroMqBackend backend, string endpoint) =>
        backend.GetStatistics().Single(s => s.Endpoint == endpoint);

    [Fact]
    public async Task Long_forms_reach_the_peer_exactly()
    {
        await using var backend = new ZeroMqBackend();

        var reply = await Call(backend, Peers.Rep.Endpoint, "echo", "foo", "bar baz");

        Assert.Equal(
            ["ARGUMENT", "3", "echo", "foo", "bar baz", "ENVIRONMENT", "4",
             "REMOTE_USER", "kula@TPROA.NET", "REMOTE_ADDR", "204.11.35.93",
             "REMOTE_HOST", "keymaster.tproa.net", "REMCTL_COMMAND", "test"],
            Texts(reply));
        Assert.All(reply.Outputs, o => Assert.Equal(1, o.Stream));
        Assert.Equal(0, Assert.IsType<ZeroMqReply.ReturnCode>(reply).Code);
    }

    [Fact]
    public async Task Short_request_forms_when_configured()
    {
        await using var backend = new ZeroMqBackend(new ZeroMqBackendOptions { RequestTags = ZeroMqTagForm.Short });

        var reply = await backend.CallAsync(Peers.Rep.Endpoint, Bytes.Args("echo"), [new("REMOTE_USER", "u@R")], null, default);

        Assert.Equal(["A", "1", "echo", "E", "1", "REMOTE_USER", "u@R"], Texts(reply));
    }

    [Fact]
    public async Task Several_outputs_on_both_streams_in_order_then_RETURNCODE()
    {
        await using var backend = new ZeroMqBackend();

        var reply = await Call(backend, Peers.Rep.Endpoint, "seed");

        Assert.Equal([1, 2, 2, 1], reply.Outputs.Select(o => o.Stream));
        Assert.Equal(["Here is some sample output\n", "Error output\n", "More err\n", "Another line\n"], Texts(reply));
        Assert.Equal(23, Assert.IsType<ZeroMqReply.ReturnCode>(reply).Code);
    }

    [Fact]
    public async Task Short_reply_forms_O_R_and_E()
    {
        await using var backend = new ZeroMqBackend();

        var reply = await Call(backend, Peers.Rep.Endpoint, "short");
        Assert.Equal([(1, "out"), (2, "err")], reply.Outputs.Select(o => (o.Stream, Bytes.Text(o.Data))));
        Assert.Equal(7, Assert.IsType<ZeroMqReply.ReturnCode>(reply).Code);

        var error = await Call(backend, Peers.Rep.Endpoint, "short-error", "6");
        Assert.Equal(ZeroMqRemctlError.AccessDenied, Assert.IsType<ZeroMqReply.ErrorCode>(error).KnownError);
        Assert.Empty(error.Outputs);
    }

    [Fact]
    public async Task ERRORCODE_is_returned_not_thrown()
    {
        await using var backend = new ZeroMqBackend();

        var reply = await Call(backend, Peers.Router.Endpoint, "error", "5");

        var error = Assert.IsType<ZeroMqReply.ErrorCode>(reply);
        Assert.Equal(5, error.Code);
        Assert.Equal(ZeroMqRemctlError.UnknownCommand, error.KnownError);
    }

    [Fact]
    public async Task Binary_arguments_arrive_byte_for_byte()
    {
        await using var backend = new ZeroMqBackend();
        var all = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        byte[] invalidUtf8 = [0xc3, 0x28, 0xff, 0x00, 0x7c];

        var reply = await backend.CallAsync(Peers.Rep.Endpoint, [Bytes.Of("echo"), all, ReadOnlyMemory<byte>.Empty, invalidUtf8, new byte[70_000]], [], null, default);

        Assert.Equal("5", Bytes.Text(reply.Outputs[1].Data));
        Assert.Equal(all, reply.Outputs[3].Data.ToArray());
        Assert.Equal(0, reply.Outputs[4].Data.Length);
        Assert.Equal(invalidUtf8, reply.Outputs[5].Data.ToArray());
        Assert.Equal(70_000, reply.Outputs[6].Data.Length);
    }

    [Fact]
    public async Task A_peer_that_never_answers_times_out_and_the_socket_is_replaced()
    {
        await using var backend = new ZeroMqBackend(new ZeroMqBackendOptions { PoolSizePerEndpoint = 1 });
        var endpoint = Peers.Router.Endpoint;
        var before = Texts(await Call(backend, endpoint, "identity"))[0];

        var stopwatch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<ZeroMqTimeoutException>(
            () => backend.CallAsync(endpoint, Bytes.Args("hang"), Environment, TimeSpan.FromMilliseconds(300), default));
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));
        Assert.True(ex.RequestSent);
        Assert.Equal(endpoint, ex.Endpoint);
        Assert.Contains("timed out", ex.Message, StringComparison.Ordinal);

        var after = await Call(backend, endpoint, "identity");
        Assert.Equal(0, Assert.IsType<ZeroMqReply.ReturnCode>(after).Code);
        var stats = Stats(backend, endpoint);
        Assert.Equal(1, stats.SocketsDiscarded);
        Assert.Equal(2, stats.SocketsOpened);
        Assert.Equal(1, stats.Timeouts);
        AssertNewConnection(before, Texts(after)[0]);
    }

    /// <summary>The ROUTER peer reports a routing id per connection; a replaced socket gets a new one.</summary>
    protected static void AssertNewConnection(string before, string after) => Assert.NotEqual(before, after);

    [Fact]
    public async Task A_peer_that_sends_garbage_gives_a_clear_error_and_the_next_call_works()
    {
        await using var backend = new ZeroMqBackend(new ZeroMqBackendOptions { PoolSizePerEndpoint = 1 });
        var endpoint = Peers.Router.Endpoint;

        var ex = await Assert.ThrowsAsync<ZeroMqProtocolException>(() => Call(backend, endpoint, "raw", "HELLO", "world"));
        Assert.Equal(ZeroMqProtocolErrorKind.UnknownTag, ex.Error.Kind);
        Assert.Contains("unknown tag \"HELLO\"", ex.Message, StringComparison.Ordinal);
        Assert.Contains(endpoint, ex.Message, StringComparison.Ordinal);

        var reply = await Call(backend, endpoint, "seed");
        Assert.Equal(23, Assert.IsType<ZeroMqReply.ReturnCode>(reply).Code);
        var stats = Stats(backend, endpoint);
        Assert.Equal(1, stats.SocketsDiscarded);
        Assert.Equal(1, stats.ProtocolErrors);
    }

    public static TheoryData<string[], ZeroMqProtocolErrorKind> WireGarbage => new()
    {
        { ["OUTPUT", "1", "x"], ZeroMqProtocolErrorKind.MissingFinalCode },
        { ["OUTPUT", "1"], ZeroMqProtocolErrorKind.MissingPart },
        { ["RETURNCODE"], ZeroMqProtocolErrorKind.MissingPart },
        { ["OUTPUT", "0", "x", "R", "0"], ZeroMqProtocolErrorKind.InvalidStream },
        { ["RETURNCODE", "12x"], ZeroMqProtocolErrorKind.InvalidNumber },
        { ["RETURNCODE", "99999999999"], ZeroMqProtocolErrorKind.NumberOutOfRange },
        { ["ERRORCODE", "0"], ZeroMqProtocolErrorKind.NumberOutOfRange },
        { ["RETURNCODE", "0", "OUTPUT", "1", "late"], ZeroMqProtocolErrorKind.TrailingParts },
        { ["ENVIRONMENT", "0"], ZeroMqProtocolErrorKind.UnknownTag },
    };

    [Theory]
    [MemberData(nameof(WireGarbage))]
    public async Task Malformed_replies_on_the_wire(string[] replyParts, ZeroMqProtocolErrorKind kind)
    {
        await using var backend = new ZeroMqBackend();

        var ex = await Assert.ThrowsAsync<ZeroMqProtocolException>(() => Call(backend, Peers.Router.Endpoint, ["raw", .. replyParts]));

        Assert.Equal(kind, ex.Error.Kind);
    }

    [Fact]
    public async Task Parallel_calls_complete_concurrently_and_correctly()
    {
        const int calls = 32;
        await using var backend = new ZeroMqBackend(new ZeroMqBackendOptions { PoolSizePerEndpoint = 8 });
        var endpoint = Peers.Router.Endpoint;
        await Call(backend, endpoint, "seed"); // warm up one connection

        var stopwatch = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, calls)
            .Select(i => Call(backend, endpoint, "sleep", "250", $"token-{i}"))
            .ToArray();
        var replies = await Task.WhenAll(tasks);
        stopwatch.Stop();

        for (var i = 0; i < calls; i++)
        {
            Assert.Equal([$"token-{i}"], Texts(replies[i]));
        }

        // 32 calls of 250 ms over 8 sockets: about 1 s; one at a time would take 8 s.
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(4.5), $"took {stopwatch.Elapsed}");
        var stats = Stats(backend, endpoint);
        Assert.InRange(stats.SocketsOpened, 2, 8);
        Assert.Equal(0, stats.SocketsDiscarded);
        Assert.Equal(0, stats.BusySockets);
        Assert.Equal(0, stats.QueuedCalls);
    }

    [Fact]
    public async Task Reply_byte_limit_counts_all_parts()
    {
        await using var backend = new ZeroMqBackend(new ZeroMqBackendOptions { MaxReplyBytes = 2000 });

        var ex = await Assert.ThrowsAsync<ZeroMqProtocolException>(() => Call(backend, Peers.Router.Endpoint, "chunks", "10", "300"));
        Assert.Equal(ZeroMqProtocolErrorKind.TooLarge, ex.Error.Kind);

        var ok = await Call(backend, Peers.Router.Endpoint, "chunks", "3", "300");
        Assert.Equal(3, ok.Outputs.Count);
    }

    [Fact]
    public async Task Reply_part_limit()
    {
        await using var backend = new ZeroMqBackend(new ZeroMqBackendOptions { MaxReplyParts = 20 });

        var ex = await Assert.ThrowsAsync<ZeroMqProtocolException>(() => Call(backend, Peers.Router.Endpoint, "chunks", "7", "1"));
        Assert.Equal(ZeroMqProtocolErrorKind.TooManyParts, ex.Error.Kind);
        Assert.Equal(6, (await Call(backend, Peers.Router.Endpoint, "chunks", "6", "1")).Outputs.Count);
    }

    [Fact]
    public async Task Cancellation_discards_the_socket_and_the_next_call_works()
    {
        await using var backend = new ZeroMqBackend(new ZeroMqBackendOptions { PoolSizePerEndpoint = 1 });
        var endpoint = Peers.Router.Endpoint;
        using var cts = new CancellationTokenSource();

        // Cancelled once the request is on its socket (a fixed 200 ms timer fired before that on a loaded machine).
        var hanging = backend.CallAsync(endpoint, Bytes.Args("hang"), Environment, TimeSpan.FromSeconds(30), cts.Token);
        await WaitUntil(() => Stats(backend, endpoint).BusySockets == 1);
        await Task.Delay(100);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => hanging);

        Assert.Equal(23, Assert.IsType<ZeroMqReply.ReturnCode>(await Call(backend, endpoint, "seed")).Code);
        Assert.Equal(1, Stats(backend, endpoint).SocketsDiscarded);
        Assert.Equal(0, Stats(backend, endpoint).Timeouts);
    }

    [Fact]
    public async Task Full_queue_refuses_at_once_and_queue_wait_counts_against_the_timeout()
    {
        await using var backend = new ZeroMqBackend(new ZeroMqBackendOptions { PoolSizePerEndpoint = 1, MaxQueuedCallsPerEndpoint = 1 });
        var endpoint = Peers.Router.Endpoint;
        var hanging = backend.CallAsync(endpoint, Bytes.Args("hang"), Environment, TimeSpan.FromSeconds(3), default);
        await WaitUntil(() => Stats(backend, endpoint).BusySockets == 1);

        var queued = backend.CallAsync(endpoint, Bytes.Args("seed"), Environment, TimeSpan.FromMilliseconds(300), default);
        await Assert.ThrowsAsync<ZeroMqBackendBusyException>(() => Call(backend, endpoint, "seed"));

        var ex = await Assert.ThrowsAsync<ZeroMqTimeoutException>(() => queued);
        Assert.False(ex.RequestSent);
        Assert.Contains("no free socket", ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ZeroMqTimeoutException>(() => hanging);
        Assert.Equal(23, Assert.IsType<ZeroMqReply.ReturnCode>(await Call(backend, endpoint, "seed")).Code);
    }

    [Fact]
    public async Task Disposing_fails_calls_in_flight()
    {
        var backend = new ZeroMqBackend();
        var endpoint = Peers.Router.Endpoint;
        var hanging = backend.CallAsync(endpoint, Bytes.Args("hang"), Environment, TimeSpan.FromSeconds(30), default);
        await WaitUntil(() => Stats(backend, endpoint).BusySockets == 1);

        await backend.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        await Assert.ThrowsAsync<ObjectDisposedException>(() => hanging);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => Call(backend, endpoint, "seed"));
    }

    [Fact]
    public async Task A_restarted_daemon_is_used_again()
    {
        await using var backend = new ZeroMqBackend(new ZeroMqBackendOptions { PoolSizePerEndpoint = 1, ReconnectInterval = TimeSpan.FromMilliseconds(20) });
        var first = StartRestartablePeer();
        string endpoint;
        try
        {
            endpoint = first.Endpoint;
            Assert.Equal(23, Assert.IsType<ZeroMqReply.ReturnCode>(await Call(backend, endpoint, "seed")).Code);
        }
        finally
        {
            first.Dispose();
        }

        using var second = RestartPeer(endpoint);
        var reply = await Call(backend, endpoint, "seed");
        Assert.Equal(23, Assert.IsType<ZeroMqReply.ReturnCode>(reply).Code);
    }

    [Fact]
    public async Task Failures_are_logged_and_leave_no_unobserved_task_exceptions()
    {
        var unobserved = new ConcurrentQueue<Exception>();
        void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs e) => unobserved.Enqueue(e.Exception);
        TaskScheduler.UnobservedTaskException += OnUnobserved;
        try
        {
            var logger = new RecordingLogger();
            var endpoint = Peers.Router.Endpoint;
            await using (var backend = new ZeroMqBackend(new ZeroMqBackendOptions { PoolSizePerEndpoint = 2 }, logger))
            {
                for (var i = 0; i < 3; i++)
                {
                    await Assert.ThrowsAsync<ZeroMqTimeoutException>(
                        () => backend.CallAsync(endpoint, Bytes.Args("sleep", "150", "late"), Environment, TimeSpan.FromMilliseconds(50), default));
                    await Assert.ThrowsAsync<ZeroMqProtocolException>(() => Call(backend, endpoint, "raw", "JUNK"));
                    using var cts = new CancellationTokenSource(30);
                    await Assert.ThrowsAnyAsync<OperationCanceledException>(
                        () => backend.CallAsync(endpoint, Bytes.Args("sleep", "150", "late"), Environment, null, cts.Token));
                }

                await Task.Delay(300); // the late replies arrive at sockets already discarded
                Assert.Equal(23, Assert.IsType<ZeroMqReply.ReturnCode>(await Call(backend, endpoint, "seed")).Code);
            }

            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            Assert.Empty(unobserved);
            Assert.DoesNotContain(logger.Entries, e => e.Level >= LogLevel.Error);
            Assert.Equal(3, logger.Entries.Count(e => e.EventId == 4103));
            Assert.Equal(3, logger.Entries.Count(e => e.EventId == 4104));
            Assert.Contains(logger.Entries, e => e.EventId == 4102);
            Assert.DoesNotContain(logger.Entries, e => e.Message.Contains("kula@TPROA.NET", StringComparison.Ordinal));
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= OnUnobserved;
        }
    }

    protected abstract PythonPeer StartRestartablePeer();

    protected abstract PythonPeer RestartPeer(string endpoint);

    protected static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached within 10 s");
            await Task.Delay(10);
        }
    }
}
