using Gatehouse.Client;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Protocol;

namespace Gatehouse.Functional.Tests;

public class CancellationTests
{
    private static async Task<(TestGateway Gw, TaskCompletionSource<bool> Seen, TaskCompletionSource Started)> StartWaiterAsync()
    {
        var seen = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gw = await TestGateway.StartAsync();
        await gw.RunServiceAsync(gw.Authorize("svc", PeerRoles.Service, "test"), s => s
            .Map("test", "wait", async ctx =>
            {
                started.TrySetResult();
                await ctx.WriteAsync("started\n");
                try
                {
                    await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
                }
                catch (OperationCanceledException)
                {
                    seen.TrySetResult(true);
                    throw;
                }

                return 0;
            }));
        return (gw, seen, started);
    }

    [Fact]
    public async Task Cancellation_reaches_the_service_handler_and_the_call_gets_one_cancelled_status()
    {
        var (gw, seen, started) = await StartWaiterAsync();
        await using var _ = gw;
        var client = gw.NewClient();
        await using var call = await client.StartCallAsync(new CallRequest("wait") { Domain = "test" });
        var chunks = new List<string>();
        var reading = Task.Run(async () =>
        {
            await foreach (var c in call.ReadOutputAsync())
            {
                chunks.Add(System.Text.Encoding.UTF8.GetString(c.Data.Span));
                call.Cancel();
            }
        });

        Assert.True(await seen.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        await reading.WaitAsync(TimeSpan.FromSeconds(10));
        var status = await call.Completion;
        Assert.Equal(ErrorCode.Cancelled, status.ErrorCode);
        Assert.Equal(["started\n"], chunks);
    }

    [Fact]
    public async Task CallAsync_token_cancels_remotely_and_throws()
    {
        var (gw, seen, started) = await StartWaiterAsync();
        await using var _ = gw;
        var client = gw.NewClient();
        using var cts = new CancellationTokenSource();
        var call = client.CallAsync(new CallRequest("wait") { Domain = "test" }, cts.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(20));
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.True(await seen.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Deadline_reaches_the_service_handler_and_ends_the_call_with_deadline_exceeded()
    {
        var (gw, seen, started) = await StartWaiterAsync();
        await using var _ = gw;
        var client = gw.NewClient();
        var t0 = DateTime.UtcNow;
        var result = await client.CallAsync(new CallRequest("wait") { Domain = "test", Deadline = TimeSpan.FromMilliseconds(400) });
        var elapsed = DateTime.UtcNow - t0;
        Assert.Equal(ErrorCode.DeadlineExceeded, result.Status.ErrorCode);
        Assert.Equal("started\n", result.StdoutText);
        Assert.True(await seen.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(elapsed < TimeSpan.FromSeconds(5), $"took {elapsed}");
    }
}
