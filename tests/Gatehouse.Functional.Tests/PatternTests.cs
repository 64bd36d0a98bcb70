using Gatehouse.Client;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Protocol;

namespace Gatehouse.Functional.Tests;

public class PatternTests
{
    [Theory]
    [InlineData(65_536, 256)]
    [InlineData(10_000, 500)]
    public async Task Output_through_the_gateway_arrives_intact_and_in_order(int chunk, int chunks)
    {
        await using var gw = await TestGateway.StartAsync();
        await gw.RunServiceAsync(gw.Authorize("svc", PeerRoles.Service, "test"), s => s
            .Map("test", "pattern", async ctx =>
            {
                var data = new byte[chunk];
                for (int i = 0; i < chunks; i++)
                {
                    data.AsSpan().Fill((byte)i);
                    await ctx.Stdout.WriteAsync(data, ctx.CancellationToken);
                }

                return 0;
            }));
        var client = gw.NewClient();
        var result = await client.CallAsync(new CallRequest("pattern") { Domain = "test" }).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(CallStatus.Exit(0), result.Status);
        var all = result.Stdout;
        Assert.Equal(chunk * chunks, all.Length);
        for (int i = 0; i < all.Length; i++)
        {
            if (all[i] != (byte)(i / chunk))
            {
                Assert.Fail($"byte {i} (chunk {i / chunk}): got pattern {all[i]}");
            }
        }
    }
}

public class StdinEchoTests
{
    /// <summary>Guards a regression seen in the benchmark: large stdin echoed back, several calls in flight.</summary>
    [Fact]
    public async Task One_MiB_stdin_echoes_back_intact_with_eight_calls_in_flight()
    {
        await using var gw = await TestGateway.StartAsync();
        await gw.RunServiceAsync(gw.Authorize("svc", PeerRoles.Service, "test"), s => s
            .Map("test", "echo", async ctx =>
            {
                await ctx.Stdin.CopyToAsync(ctx.Stdout, ctx.CancellationToken);
                return 0;
            }, concurrency: 8));
        var client = gw.NewClient();
        var payload = new byte[1024 * 1024];
        Random.Shared.NextBytes(payload);
        for (int round = 0; round < 6; round++)
        {
            var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
                client.CallAsync(new CallRequest("echo") { Domain = "test", Stdin = payload }))).WaitAsync(TimeSpan.FromSeconds(60));
            foreach (var r in results)
            {
                Assert.Equal(CallStatus.Exit(0), r.Status);
                Assert.Equal(payload.Length, r.Stdout.Length);
                Assert.True(payload.AsSpan().SequenceEqual(r.Stdout), "echoed bytes differ");
            }
        }
    }
}
