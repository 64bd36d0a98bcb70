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
        sender.Start();
        // OUTPUT then STATUS, queued back to back as the session does when a command finishes.
        await sender.SendTokenAsync(RemctlLimits.DataV2, new byte[40], CancellationToken.None);
        await sender.SendTokenAsync(RemctlLimits.DataV2, new byte[3], CancellationToken.None);
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
        long total = 0;
        while (true)
        {
            var read = await pipe.Reader.ReadAsync();
            total = read.Buffer.Length;
            pipe.Reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
            if (read.IsCompleted)
            {
                break;
            }
        }

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
}
