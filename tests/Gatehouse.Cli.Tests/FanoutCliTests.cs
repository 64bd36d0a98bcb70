using Gatehouse.Gateway;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Gateway.Hosting;
using Gatehouse.Service;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Cli.Tests;

public class FanoutCliTests
{
    [Fact]
    public async Task Call_w_gathers_identical_outputs_summarises_failures_and_exits_1_or_with_S_the_worst_status()
    {
        using var cli = new CliProcess();
        using var me = PeerIdentity.LoadOrCreate(cli.ConfigDir, "tester", out _);
        var servers = new List<GatewayServer>();
        using var stop = new CancellationTokenSource();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                string state = Path.Combine(cli.Root, "gw" + i);
                var server = await GatewayServer.StartAsync(new GatewayOptions { Listen = ["127.0.0.1:0"], StateDirectory = state }, l => l.SetMinimumLevel(LogLevel.Warning));
                servers.Add(server);
                var svc = PeerIdentity.CreateEphemeral("svc" + i);
                AuthorizedPeers.Upsert(server.Runtime.Options.AuthorizedPath, new PeerGrant(me.Fingerprint, "tester", PeerRoles.Client, []));
                AuthorizedPeers.Upsert(server.Runtime.Options.AuthorizedPath, new PeerGrant(svc.Fingerprint, "svc", PeerRoles.Service, ["demo"]));
                server.Runtime.Authorized.Reload();
                int index = i;
                var service = new GatehouseService(new ServiceOptions { Identity = svc, Gateways = [new GatewayTarget(new Endpoint("127.0.0.1", server.Port), server.Fingerprint)] })
                    .Map("demo", "report", async ctx =>
                    {
                        await ctx.WriteAsync(index < 2 ? "queue is empty\n" : "2 messages queued\n");
                        return index < 2 ? 0 : 3;
                    });
                var attached = new TaskCompletionSource();
                service.Attached += _ => attached.TrySetResult();
                _ = service.RunAsync(stop.Token);
                await attached.Task.WaitAsync(TimeSpan.FromSeconds(20));
            }

            int dead = CliProcess.FreePort();
            string[] nodes = [.. servers.Select(s => $"127.0.0.1:{s.Port}")];
            string live = string.Join(',', nodes);

            var trust = await cli.RunAsync("trust", "-w", live, "--yes");
            Assert.True(trust.Exit == 0, trust.Stdout + trust.Stderr);
            Assert.Contains("recorded 3", trust.Stdout, StringComparison.Ordinal);
            foreach (var s in servers)
            {
                Assert.Contains(s.Fingerprint.ToString(), File.ReadAllText(Path.Combine(cli.ConfigDir, "known_hosts")), StringComparison.Ordinal);
            }

            var gathered = await cli.RunAsync("call", "-w", live + $",127.0.0.1:{dead}", "-b", "--connect-timeout", "2", "--retries", "0", "-d", "demo", "report");
            Assert.Equal(255, gathered.Exit); // one node could not be reached
            var blocks = gathered.Stdout.Split("---------------\n", StringSplitOptions.RemoveEmptyEntries);
            // Two blocks: the two identical outputs merged under one node set, and the odd one out.
            // Blocks are ordered by node name (the ports are random), so match them by content.
            Assert.Equal(4, blocks.Length);
            var byOutput = new Dictionary<string, string> { [blocks[1]] = blocks[0], [blocks[3]] = blocks[2] };
            string merged = Gatehouse.NodeSets.NodeSet.FromNodes([nodes[0], nodes[1]]).Fold();
            Assert.Equal($"{merged} (2)\n", byOutput["queue is empty\n"]);
            Assert.Equal($"{nodes[2]}\n", byOutput["2 messages queued\n"]); // one node: no count, as clush
            Assert.Contains($"gatehouse: {nodes[2]}: exited with exit code 3\n", gathered.Stderr, StringComparison.Ordinal);
            Assert.Contains($"127.0.0.1:{dead}", gathered.Stderr, StringComparison.Ordinal);

            var streamed = await cli.RunAsync("call", "-w", live, "-d", "demo", "report");
            Assert.Equal(1, streamed.Exit); // some node failed
            Assert.Equal(3, (await cli.RunAsync("call", "-S", "-w", live, "-d", "demo", "report")).Exit); // -S: the largest node status
            var lines = streamed.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order().ToArray();
            Assert.Equal(new[] { $"{nodes[0]}: queue is empty", $"{nodes[1]}: queue is empty", $"{nodes[2]}: 2 messages queued" }.Order(), lines);
        }
        finally
        {
            stop.Cancel();
            foreach (var s in servers)
            {
                await s.DisposeAsync();
            }
        }
    }
}
