using Gatehouse.Protocol;
using Gatehouse.Transport.Internal;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Transport.Tests;

/// <summary>A stream's inbound queue and the collector that replaces it for whole results.</summary>
public class StreamQueueTests
{
    private static StreamEvent Status(int code) => StreamEvent.ForStatus(CallStatus.Exit(code));

    [Fact]
    public async Task Events_come_out_in_order_whether_queued_or_awaited()
    {
        var queue = new StreamQueue();
        Assert.True(queue.TryWrite(Status(1)));
        Assert.True(queue.TryWrite(Status(2)));
        Assert.Equal(1, (await queue.ReadAsync(null, default)).Status.Code);

        Assert.True(queue.TryPeek(out var peeked));
        Assert.Equal(2, peeked.Status.Code);
        Assert.Equal(2, (await queue.ReadAsync(null, default)).Status.Code);

        // Nothing queued: the read waits, and the next write completes it on another thread.
        var waiting = queue.ReadAsync(null, default);
        Assert.False(waiting.IsCompleted);
        var wrote = Task.Run(() => queue.TryWrite(Status(3)));
        var item = await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(3, item.Status.Code);
        Assert.True(await wrote);

        // The same source serves the next wait (a new version), many times over.
        for (int i = 0; i < 1000; i++)
        {
            var next = queue.ReadAsync(null, default);
            _ = Task.Run(() => queue.TryWrite(Status(i)));
            Assert.Equal(i, (await next).Status.Code);
        }
    }

    [Fact]
    public async Task Completing_ends_a_waiting_read_with_the_end_status_and_refuses_later_writes_but_keeps_what_was_queued()
    {
        var queue = new StreamQueue();
        var waiting = queue.ReadAsync(null, default);
        queue.Complete(null);
        var end = await waiting;
        Assert.Equal(StreamEventKind.Status, end.Kind);
        Assert.Equal(MuxStream.StreamEnded, end.Status);

        var other = new StreamQueue();
        Assert.True(other.TryWrite(Status(7)));
        other.Complete(null);
        Assert.False(other.TryWrite(Status(8)));
        Assert.Equal(7, (await other.ReadAsync(null, default)).Status.Code);

        // Past the end: the end status, at once, every time; TryRead finds nothing.
        for (int i = 0; i < 3; i++)
        {
            var past = other.ReadAsync(null, default);
            Assert.True(past.IsCompletedSuccessfully);
            Assert.Equal(MuxStream.StreamEnded, (await past).Status);
        }

        Assert.False(other.TryRead(out _));
        Assert.False(StreamQueue.Completed.TryWrite(Status(9)));
    }

    [Fact]
    public async Task A_cancelled_wait_ends_with_its_token_and_a_later_read_still_works()
    {
        var queue = new StreamQueue();
        using var cts = new CancellationTokenSource();
        var waiting = queue.ReadAsync(null, cts.Token);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await queue.ReadAsync(null, default));
        cts.Cancel();
        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await waiting);
        Assert.Equal(cts.Token, ex.CancellationToken);

        // The cancelled wait did not eat the next event.
        Assert.True(queue.TryWrite(Status(4)));
        Assert.Equal(4, (await queue.ReadAsync(null, default)).Status.Code);
    }

    [Fact]
    public async Task Collector_gathers_every_output_stream_beyond_the_window_and_the_status()
    {
        // 3 MiB on stdout through a 1 MiB stream window: only credit returned as the collector
        // copies keeps it flowing.
        var small = new MuxOptions { Settings = ProtocolSettings.Default with { InitialStreamWindow = 64 * 1024 } };
        var (d, a) = await InMemoryPair.StartAsync(dialer: small, acceptor: small, onAcceptorRequest: s => _ = Task.Run(async () =>
        {
            var block = new byte[100_000];
            for (int i = 0; i < 30; i++)
            {
                block.AsSpan().Fill((byte)i);
                await s.WriteAsync(1, block);
            }

            await s.WriteAsync(2, "warning\n"u8.ToArray());
            await s.WriteAsync(5, new byte[] { 1, 2, 3 });
            s.Complete(CallStatus.Exit(3));
        }));
        await using var _d = d;
        await using var _a = a;

        var stream = await d.OpenStreamAsync(new RequestHeader { Domain = "d", Command = "c" }, endStream: true);
        var collector = StreamCollector.Attach(stream);
        Assert.Throws<InvalidOperationException>(() => collector.TakeOutputs());
        var status = await collector.Completion.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(CallStatus.Exit(3), status);

        var outputs = collector.TakeOutputs();
        Assert.Equal(3_000_000, outputs[1].Length);
        for (int i = 0; i < outputs[1].Length; i += 99_991)
        {
            Assert.Equal((byte)(i / 100_000), outputs[1][i]);
        }

        Assert.Equal("warning\n"u8.ToArray(), outputs[2]);
        Assert.Equal(new byte[] { 1, 2, 3 }, outputs[5]);
    }

    [Fact]
    public async Task Collector_attached_after_the_reply_arrived_gets_it_from_the_queue()
    {
        var (d, a) = await InMemoryPair.StartAsync(onAcceptorRequest: s => _ = Task.Run(async () =>
        {
            await s.WriteAsync(1, "early"u8.ToArray());
            s.Complete(CallStatus.Exit(0));
        }));
        await using var _d = d;
        await using var _a = a;

        var stream = await d.OpenStreamAsync(new RequestHeader { Domain = "d", Command = "c" }, endStream: true);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!stream.IsFinished && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.True(stream.IsFinished);
        var collector = StreamCollector.Attach(stream);
        Assert.Equal(CallStatus.Exit(0), await collector.Completion.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("early"u8.ToArray(), collector.TakeOutputs()[1]);
    }
}
