using System.Diagnostics;
using Gatehouse.Client;
using Gatehouse.Client.Fanout;
using Gatehouse.Service;
using Xunit.Abstractions;

namespace Gatehouse.Fanout.Tests;

/// <summary>Fan-out over real gateways on loopback with real TLS.</summary>
public class FanoutTests(ITestOutputHelper output)
{
    private static readonly CallRequest Work = new(TestNodes.Command) { Domain = TestNodes.Domain };

    /// <summary>A handler that sleeps <paramref name="delay"/>, then prints its node name.</summary>
    private static CommandHandler Sleeper(int index, TimeSpan delay) => async ctx =>
    {
        await Task.Delay(delay, ctx.CancellationToken);
        await ctx.WriteAsync($"node{index + 1}\n");
        return 0;
    };

    [Fact]
    public async Task Twenty_nodes_answer_in_about_the_time_of_the_slowest_not_the_sum()
    {
        const int Count = 20;
        // Node i sleeps 200 ms plus 0..95 ms of jitter, so the slowest takes 295 ms.
        var delays = Enumerable.Range(0, Count).Select(i => TimeSpan.FromMilliseconds(200 + (i * 37 % 20 * 5))).ToArray();
        await using var servers = await TestNodes.StartAsync(Count, i => Sleeper(i, delays[i]));
        await using var client = new FanoutClient(servers.Options());

        // Cold: the first call also makes 20 TLS connections.
        var cold = Stopwatch.StartNew();
        var first = await client.Call(servers.Nodes, Work).WhenAll();
        cold.Stop();
        Assert.All(first, r => Assert.True(r.Succeeded, r.ToString()));

        // The sum, measured: the same 20 calls one after another on the warm connections.
        var sequential = Stopwatch.StartNew();
        foreach (var node in servers.Nodes)
        {
            var one = await client.CallAsync(node, Work);
            Assert.True(one.Succeeded, one.ToString());
        }

        sequential.Stop();

        // The fan-out, warm.
        var fanout = Stopwatch.StartNew();
        var results = new List<NodeResult>();
        await foreach (var result in client.Call(servers.Nodes, Work))
        {
            results.Add(result);
        }

        fanout.Stop();

        Assert.Equal(Count, results.Count);
        Assert.All(results, r => Assert.True(r.Succeeded, r.ToString()));
        Assert.Equal(servers.Nodes.Select(n => $"{n.Name}\n").Order(), results.Select(r => r.Result!.StdoutText).Order());
        double sumOfSleeps = delays.Sum(d => d.TotalMilliseconds);
        double slowest = delays.Max().TotalMilliseconds;
        double ratio = fanout.Elapsed.TotalMilliseconds / sequential.Elapsed.TotalMilliseconds;
        output.WriteLine($"20 nodes, sleeps 200..{slowest:0} ms (sum {sumOfSleeps:0} ms)");
        output.WriteLine($"sequential (measured sum): {sequential.Elapsed.TotalMilliseconds:0} ms");
        output.WriteLine($"fan-out, warm:              {fanout.Elapsed.TotalMilliseconds:0} ms  => ratio {ratio:0.000} of the sum, {fanout.Elapsed.TotalMilliseconds / slowest:0.00}x the slowest node");
        output.WriteLine($"fan-out, cold (20 TLS connects included): {cold.Elapsed.TotalMilliseconds:0} ms => ratio {cold.Elapsed.TotalMilliseconds / sequential.Elapsed.TotalMilliseconds:0.000}");
        Assert.True(ratio < 0.4, $"fan-out took {fanout.Elapsed.TotalMilliseconds:0} ms, {ratio:P0} of the sequential {sequential.Elapsed.TotalMilliseconds:0} ms");
        Assert.Empty(servers.Errors);
    }

    [Fact]
    public async Task Results_stream_in_completion_order()
    {
        // Listed slowest first; node3 answers at once.
        var delays = new[] { TimeSpan.FromMilliseconds(1500), TimeSpan.FromMilliseconds(500), TimeSpan.Zero };
        await using var servers = await TestNodes.StartAsync(3, i => Sleeper(i, delays[i]));
        await using var client = new FanoutClient(servers.Options());
        await client.Call(servers.Nodes, Work).WhenAll(); // connect first, so only the sleeps decide the order

        var order = new List<string>();
        await foreach (var result in client.CallAllAsync(servers.Nodes, Work))
        {
            Assert.True(result.Succeeded, result.ToString());
            order.Add(result.Node.Name);
            output.WriteLine($"{result.Node.Name} after {result.Elapsed.TotalMilliseconds:0} ms");
        }

        Assert.Equal(["node3", "node2", "node1"], order);
    }

    [Fact]
    public async Task Per_node_futures_like_seed_000_and_one_connection_per_node()
    {
        await using var servers = await TestNodes.StartAsync(2, i => async ctx => { await ctx.WriteAsync($"version 1.{i}"); return 0; });
        await using var client = new FanoutClient(servers.Options());
        var (node1, node2) = (servers.Nodes[0], servers.Nodes[1]);

        for (int round = 0; round < 3; round++)
        {
            var future1 = client.CallAsync(node1, new CallRequest("work") { Domain = "fanout" });
            var future2 = client.CallAsync(node2, new CallRequest("work") { Domain = "fanout" });
            var result1 = await future1;
            var result2 = await future2;
            Assert.Equal("version 1.0", result1.Result?.StdoutText);
            Assert.Equal("version 1.1", result2.Result?.StdoutText);
        }

        Assert.Same(client.GetClient(node1), client.GetClient(node1));
        foreach (var gw in servers.Gateways)
        {
            // Three rounds of calls, one session of the admin identity per gateway: the connection was reused.
            Assert.Single(gw.Server.Runtime.Sessions.Snapshot(), s => s.Grant.Name == "admin");
        }

        Assert.Equal(3, servers.Requests(0));
        Assert.Equal(3, servers.Requests(1));
    }

    [Fact]
    public async Task MaxFanout_bounds_how_many_nodes_are_in_progress_at_once()
    {
        int running = 0;
        int peak = 0;
        await using var servers = await TestNodes.StartAsync(6, _ => async ctx =>
        {
            int now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            await Task.Delay(300, ctx.CancellationToken);
            Interlocked.Decrement(ref running);
            return 0;
        });
        await using var client = new FanoutClient(servers.Options() with { MaxFanout = 2 });

        var results = await client.Call(servers.Nodes, Work).WhenAll();

        Assert.All(results, r => Assert.True(r.Succeeded, r.ToString()));
        output.WriteLine($"peak concurrent handlers: {peak}");
        Assert.Equal(2, peak);
        Assert.Throws<ArgumentOutOfRangeException>(() => servers.Options() with { MaxFanout = 0 });
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
            // Another thread changed it; read again.
        }
    }
}
