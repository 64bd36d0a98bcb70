using Gatehouse.Functional.Tests;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Service;
using Gatehouse.Transport.Security;

namespace Gatehouse.Cli.Tests;

/// <summary>
/// One real gateway listening on every address, with one service in domain <c>demo</c>, reached as
/// <paramref name="count"/> distinct nodes <c>127.0.0.[1-N]:PORT</c> (each pinned in the CLI user's
/// known_hosts, the user authorized): many nodes for a fan-out without many gateways.
/// </summary>
internal sealed class SharedGateway : IAsyncDisposable
{
    private SharedGateway(TestGateway gateway, int count)
    {
        Gateway = gateway;
        Nodes = $"127.0.0.[1-{count}]:{gateway.Server.Port}";
    }

    public TestGateway Gateway { get; }

    public int Port => Gateway.Server.Port;

    /// <summary>Every node, as a node set.</summary>
    public string Nodes { get; }

    public static async Task<SharedGateway> StartAsync(CliProcess cli, int count, Action<GatehouseService> map)
    {
        using var me = PeerIdentity.LoadOrCreate(cli.ConfigDir, "tester", out _);
        var gateway = await TestGateway.StartAsync(o => o with { Listen = ["*:0"] });
        try
        {
            AuthorizedPeers.Upsert(gateway.Server.Runtime.Options.AuthorizedPath, new PeerGrant(me.Fingerprint, "tester", PeerRoles.Client, []));
            gateway.Server.Runtime.Authorized.Reload();
            var knownHosts = new KnownHosts(Path.Combine(cli.ConfigDir, "known_hosts"));
            for (int i = 1; i <= count; i++)
            {
                knownHosts.Set($"127.0.0.{i}:{gateway.Server.Port}", gateway.Server.Fingerprint);
            }

            await gateway.RunServiceAsync(gateway.Authorize("svc", PeerRoles.Service, "demo"), map);
            return new SharedGateway(gateway, count);
        }
        catch
        {
            await gateway.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => Gateway.DisposeAsync();
}
