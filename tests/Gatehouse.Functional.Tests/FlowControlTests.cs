using System.Diagnostics;
using Gatehouse.Client;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Protocol;

namespace Gatehouse.Functional.Tests;

public class FlowControlTests
{
    [Fact]
    public async Task Small_request_finishes_while_a_256_MiB_response_streams_on_the_same_connection()
    {
        const long total = 256L * 1024 * 1024;
        await using var gw = await TestGateway.StartAsync();
        await gw.RunServiceAsync(gw.Authorize("svc", PeerRoles.Service, "test"), s => s
            .Map("test", "big", async ctx =>
            {
                var chunk = new byte[256 * 1024];
                for (long sent = 0; sent < total; sent += chunk.Length)
                {
                    await ctx.Stdout.WriteAsync(chunk, ctx.CancellationToken);
                }

                return 0;
            })
            .Map("test", "small", async ctx => { await ctx.WriteAsync("pong"); return 0; }));

        var client = gw.NewClient();
        await using var big = await client.StartCallAsync(new CallRequest("big") { Domain = "test" });
        long received = 0;
        var started = new TaskCompletionSource();
        var bigDone = Task.Run(async () =>
        {
            await foreach (var chunk in big.ReadOutputAsync())
            {
                received += chunk.Data.Length;
                if (received > 8 * 1024 * 1024)
                {
                    started.TrySetResult();
                }
            }
        });

        await started.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var sw = Stopwatch.StartNew();
        var small = await client.CallAsync(new CallRequest("small") { Domain = "test" });
        sw.Stop();
        bool bigStillRunning = !bigDone.IsCompleted;
        await bigDone.WaitAsync(TimeSpan.FromMinutes(3));

        Assert.Equal("pong", small.StdoutText);
        Assert.True(bigStillRunning, $"the small call ({sw.ElapsedMilliseconds} ms) should finish before the 256 MiB response");
        Assert.Equal(CallStatus.Exit(0), await big.Completion);
        Assert.Equal(total, received);
    }

    [Fact]
    public async Task A_reader_that_stops_reading_holds_back_only_its_stream_and_the_buffered_bytes_stay_within_the_windows()
    {
        const int chunk = 64 * 1024;
        const long total = 64L * 1024 * 1024;
        long written = 0;
        await using var gw = await TestGateway.StartAsync();
        await gw.RunServiceAsync(gw.Authorize("svc", PeerRoles.Service, "test"), s => s
            .Map("test", "flood", async ctx =>
            {
                var data = new byte[chunk];
                for (long sent = 0; sent < total; sent += chunk)
                {
                    data.AsSpan().Fill((byte)(sent / chunk));
                    await ctx.Stdout.WriteAsync(data, ctx.CancellationToken);
                    Interlocked.Add(ref written, chunk);
                }

                return 0;
            })
            .Map("test", "small", async ctx => { await ctx.WriteAsync("ok"); return 0; }));

        var client = gw.NewClient();
        await using var flood = await client.StartCallAsync(new CallRequest("flood") { Domain = "test" });

        // Do not read. Wait until the service can write no more.
        long last = -1;
        for (int i = 0; i < 100 && Interlocked.Read(ref written) != last; i++)
        {
            last = Interlocked.Read(ref written);
            await Task.Delay(300);
        }

        long stalled = Interlocked.Read(ref written);
        int window = ProtocolSettings.Default.InitialStreamWindow;
        // Credit the service can hold: the gateway's window for its stream plus the client's window
        // for the relayed stream; everything beyond that waits inside the service.
        Assert.InRange(stalled, window, (2 * window) + chunk);

        // Other requests on the same connection are not held up.
        var small = await client.CallAsync(new CallRequest("small") { Domain = "test" }).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("ok", small.StdoutText);

        // Reading resumes: every byte arrives, in order.
        long received = 0;
        await foreach (var c in flood.ReadOutputAsync())
        {
            var span = c.Data.Span;
            for (int i = 0; i < span.Length; i++)
            {
                Assert.Equal((byte)((received + i) / chunk), span[i]);
            }

            received += span.Length;
        }

        Assert.Equal(CallStatus.Exit(0), await flood.Completion);
        Assert.Equal(total, received);
    }
}
