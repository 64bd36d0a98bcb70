using Gatehouse.Client.Fanout;
using Gatehouse.Functional.Tests;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Service;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;

namespace Gatehouse.Fanout.Tests;

/// <summary>
/// N real gateways on 127.0.0.1 (each its own port, identity and state directory), each with a
/// service registering <c>fanout/work</c>, and one admin identity authorized on all of them.
/// Counts the requests each node's service received.
/// </summary>
internal sealed class TestNodes : IAsyncDisposable
{
    public const string Domain = "fanout";
    public const string Command = "work";
    private readonly int[] _requests;

    private TestNodes(PeerIdentity admin, TestGateway[] gateways, int[] requests)
    {
        Admin = admin;
        Gateways = gateways;
        _requests = requests;
        Nodes = [.. gateways.Select((gw, i) => new FanoutNode($"node{i + 1}", gw.Endpoint, gw.Server.Fingerprint))];
    }

    public PeerIdentity Admin { get; }

    public IReadOnlyList<TestGateway> Gateways { get; }

    public IReadOnlyList<FanoutNode> Nodes { get; }

    /// <summary>Requests node <paramref name="index"/>'s service has received.</summary>
    public int Requests(int index) => Volatile.Read(ref _requests[index]);

    /// <summary>Starts <paramref name="count"/> gateways; node i runs <paramref name="handler"/>(i).</summary>
    public static async Task<TestNodes> StartAsync(int count, Func<int, CommandHandler> handler)
    {
        var admin = PeerIdentity.CreateEphemeral("admin");
        var requests = new int[count];
        var gateways = await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            var gw = await TestGateway.StartAsync();
            Authorize(gw, admin, "admin");
            var inner = handler(i);
            await gw.RunServiceAsync(gw.Authorize($"svc{i + 1}", PeerRoles.Service, Domain), s => s.Map(Domain, Command, ctx =>
            {
                Interlocked.Increment(ref requests[i]);
                return inner(ctx);
            }));
            return gw;
        }));
        return new TestNodes(admin, gateways, requests);
    }

    /// <summary>Authorizes an existing identity as a client of <paramref name="gateway"/>.</summary>
    public static void Authorize(TestGateway gateway, PeerIdentity identity, string name)
    {
        AuthorizedPeers.Upsert(gateway.Server.Runtime.Options.AuthorizedPath, new PeerGrant(identity.Fingerprint, name, PeerRoles.Client, []));
        gateway.Server.Runtime.Authorized.Reload();
    }

    /// <summary>Options for the admin identity; connect timeout 5 s unless <paramref name="connection"/> says otherwise.</summary>
    public FanoutClientOptions Options(ConnectionOptions? connection = null) => new()
    {
        Identity = Admin,
        Connection = connection ?? new ConnectionOptions { ConnectTimeout = TimeSpan.FromSeconds(5), MaxRetries = 0 },
    };

    /// <summary>All Error-level entries logged by any gateway.</summary>
    public IEnumerable<LogEntry> Errors => Gateways.SelectMany(g => g.Errors.Entries);

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(Gateways.Select(g => g.DisposeAsync().AsTask()));
        Admin.Dispose();
    }
}
