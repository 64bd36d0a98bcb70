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
}
