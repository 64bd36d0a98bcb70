using System.IO.Pipelines;
using Gatehouse.Remctl.Protocol;
using Gatehouse.Remctl.Server;

namespace Gatehouse.Remctl.Tests.Protocol;

public class TokenSenderTests
{
    [Fact]
    public async Task Tokens_queued_together_leave_in_one_flush()
    {
        var pipe = new Pipe();
        var sender = new RemctlTokenSender(pipe.Writer);
        // OUTPUT then STATUS, both queued before the write loop looks (queued after it started, the
        // loop may legitimately catch the first alone, which made this test depend on timing).
        await sender.SendTokenAsync(RemctlLimits.DataV2, new byte[40], CancellationToken.None);
        await sender.SendTokenAsync(RemctlLimits.DataV2, new byte[3], CancellationToken.None);
        sender.Start();
        var read = await pipe.Reader.ReadAsync();
        Assert.Equal(5 + 40 + 5 + 3, read.Buffer.Length);
        pipe.Reader.AdvanceTo(read.Buffer.End);
        await sender.CompleteAsync();
    }

    [Fact]
    public async Task Complete_flushes_everything_queued()
    {
        var pipe = new Pipe();
        var sender = new RemctlTokenSender(pipe.Writer);
        sender.Start();
        for (int i = 0; i < 10; i++)
        {
            await sender.SendTokenAsync(RemctlLimits.ContextV2, [1, 2], CancellationToken.None);
        }

        await sender.CompleteAsync();
        await pipe.Writer.CompleteAsync();
        long total = await BytesWrittenAsync(pipe.Reader);

        Assert.Equal(10 * 7, total);
    }

    [Fact]
    public async Task A_flush_the_peer_never_takes_times_out_once_and_fails_later_sends()
    {
        // A pipe whose reader never reads: the flush waits as it does for a client that stopped reading.
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 1024, resumeWriterThreshold: 512));
        int stalled = 0;
        var sender = new RemctlTokenSender(pipe.Writer, writeTimeout: TimeSpan.FromMilliseconds(300), onStalled: () => Interlocked.Increment(ref stalled));
        sender.Start();
        await sender.SendTokenAsync(RemctlLimits.DataV2, new byte[4096], CancellationToken.None);

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (sender.Fault is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.IsType<TimeoutException>(sender.Fault);
        Assert.Equal(1, stalled);
        var ex = await Assert.ThrowsAsync<System.Threading.Channels.ChannelClosedException>(async () =>
            await sender.SendTokenAsync(RemctlLimits.DataV2, new byte[1], CancellationToken.None));
        Assert.IsType<TimeoutException>(ex.InnerException);
        await sender.CompleteAsync();
    }

    [Fact]
    public async Task Flushes_that_keep_moving_never_time_out()
    {
        // Each flush completes well within the timeout, although the whole transfer (60 x 50 ms) takes longer.
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 1024, resumeWriterThreshold: 512));
        int stalled = 0;
        var sender = new RemctlTokenSender(pipe.Writer, writeTimeout: TimeSpan.FromSeconds(2), onStalled: () => Interlocked.Increment(ref stalled));
        sender.Start();
        var reading = Task.Run(async () =>
        {
            long total = 0;
            while (total < 60 * 1005)
            {
                var read = await pipe.Reader.ReadAsync();
                total += read.Buffer.Length;
                pipe.Reader.AdvanceTo(read.Buffer.End);
                await Task.Delay(50);
            }

            return total;
        });
        for (int i = 0; i < 60; i++)
        {
            await sender.SendTokenAsync(RemctlLimits.DataV2, new byte[1000], CancellationToken.None);
        }

        Assert.Equal(60 * 1005, await reading.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Null(sender.Fault);
        Assert.Equal(0, stalled);
        await sender.CompleteAsync();
    }

    [Fact]
    public async Task A_flush_that_finishes_as_the_timer_fires_is_no_stall()
    {
        // The first flush completes exactly when the write timeout fires (the writer returns normally
        // once the token is cancelled): the peer did take the data, so the connection must live on.
        var pipe = new Pipe();
        var writer = new FlushAtTimeoutWriter(pipe.Writer);
        int stalled = 0;
        var sender = new RemctlTokenSender(writer, writeTimeout: TimeSpan.FromMilliseconds(100), onStalled: () => Interlocked.Increment(ref stalled));
        sender.Start();
        await sender.SendTokenAsync(RemctlLimits.DataV2, new byte[10], CancellationToken.None);
        await writer.FirstFlushDone.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await sender.SendTokenAsync(RemctlLimits.DataV2, new byte[20], CancellationToken.None);
        await sender.CompleteAsync();
        await pipe.Writer.CompleteAsync();

        long total = await BytesWrittenAsync(pipe.Reader);

        Assert.True(writer.FirstFlushSawCancellation);
        Assert.Null(sender.Fault);
        Assert.Equal(0, stalled);
        Assert.Equal(5 + 10 + 5 + 20, total);
    }

    /// <summary>Everything the writer side wrote, once it completed (read without consuming).</summary>
    private static async Task<long> BytesWrittenAsync(PipeReader reader)
    {
        while (true)
        {
            var read = await reader.ReadAsync();
            if (read.IsCompleted)
            {
                return read.Buffer.Length;
            }

            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }

    /// <summary>Passes everything to a real pipe; its first flush returns only after the caller's token fired.</summary>
    private sealed class FlushAtTimeoutWriter(PipeWriter inner) : PipeWriter
    {
        private int _flushes;

        public TaskCompletionSource FirstFlushDone { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool FirstFlushSawCancellation { get; private set; }

        public override async ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            if (Interlocked.Increment(ref _flushes) > 1)
            {
                return await inner.FlushAsync(cancellationToken);
            }

            var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (cancellationToken.Register(() => fired.TrySetResult()))
            {
                await fired.Task.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
            }

            FirstFlushSawCancellation = cancellationToken.IsCancellationRequested;
            var result = await inner.FlushAsync(CancellationToken.None);
            FirstFlushDone.TrySetResult();
            return result;
        }

        public override void Advance(int bytes) => inner.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);
    }
}
