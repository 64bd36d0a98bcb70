using Gatehouse.Functional.Tests;
using Gatehouse.Gateway.Authorization;
using Gatehouse.NodeSets;
using Gatehouse.Service;
using Gatehouse.Transport.Security;

namespace Gatehouse.Cli.Tests;

/// <summary>
/// Real gateways (in this process, real TLS on loopback), each with a service in domain <c>demo</c>
/// whose handlers the test gives per node; the CLI user of <paramref name="cli"/> is authorized on
/// each and every gateway is in the user's known_hosts. The <c>gatehouse</c> command then runs as a
/// real process against them.
/// </summary>
internal sealed class NodeFarm : IAsyncDisposable
{
    private NodeFarm(List<TestGateway> gateways) => Gateways = gateways;

    public IReadOnlyList<TestGateway> Gateways { get; }

    /// <summary>Node names, <c>127.0.0.1:PORT</c>, in gateway order.</summary>
    public IReadOnlyList<string> Nodes => [.. Gateways.Select(g => g.Endpoint.ToString())];

    /// <summary>Every node, as a node set expression.</summary>
    public string All => string.Join(',', Nodes);

    /// <summary>The folded node set of the given nodes (as the CLI prints it).</summary>
    public string Fold(params int[] indexes) => NodeSet.FromNodes(indexes.Select(i => Nodes[i])).Fold();

    public static async Task<NodeFarm> StartAsync(CliProcess cli, int count, Action<int, GatehouseService> map)
    {
        using var me = PeerIdentity.LoadOrCreate(cli.ConfigDir, "tester", out _);
        var gateways = new List<TestGateway>();
        var knownHosts = new KnownHosts(Path.Combine(cli.ConfigDir, "known_hosts"));
        try
        {
            for (int i = 0; i < count; i++)
            {
                var gateway = await TestGateway.StartAsync();
                gateways.Add(gateway);
                AuthorizedPeers.Upsert(gateway.Server.Runtime.Options.AuthorizedPath, new PeerGrant(me.Fingerprint, "tester", PeerRoles.Client, []));
                gateway.Server.Runtime.Authorized.Reload();
                knownHosts.Set(gateway.Endpoint.ToString(), gateway.Server.Fingerprint);
                int index = i;
                await gateway.RunServiceAsync(gateway.Authorize("svc" + i, PeerRoles.Service, "demo"), s => map(index, s));
            }
        }
        catch
        {
            foreach (var g in gateways)
            {
                await g.DisposeAsync();
            }

            throw;
        }

        return new NodeFarm(gateways);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var g in Gateways)
        {
            await g.DisposeAsync();
        }
    }
}
