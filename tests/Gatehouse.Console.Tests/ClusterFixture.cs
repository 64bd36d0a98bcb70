using System.Collections.Concurrent;
using System.Diagnostics;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Gateway.Membership;
using Gatehouse.Functional.Tests;
using Gatehouse.Service;
using Gatehouse.Transport.Security;
using Gatehouse.WebConsole;

namespace Gatehouse.Console.Tests;

/// <summary>
/// Three real gateways in one cluster (TLS and UDP on loopback), each with a service of domain
/// <c>demo</c> attached, and a user as <c>gatehouse console</c> would run: an identity on disk, a
/// known_hosts file pinning the three gateways, the admin role on them. The service's commands
/// report to this fixture what their handlers saw (a cancellation among them), so tests check
/// through the service, not through the console.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    private readonly List<TestGateway> _gateways = [];

    /// <summary>The user's config directory (identity.key, identity.crt, known_hosts).</summary>
    public string ConfigDir { get; } = Path.Combine(Path.GetTempPath(), "gatehouse-console-test-" + Guid.NewGuid().ToString("N")[..12]);

    public PeerIdentity User { get; private set; } = null!;

    public IReadOnlyList<TestGateway> Gateways => _gateways;

    /// <summary>Each gateway's address, HOST:PORT, as the member list names it.</summary>
    public IReadOnlyList<string> Addresses => [.. _gateways.Select(g => g.Endpoint.ToString())];

    public string KnownHostsPath => Path.Combine(ConfigDir, "known_hosts");

    /// <summary>Handler starts of <c>demo/sleep KEY</c>, by key.</summary>
    public ConcurrentDictionary<string, int> SleepStarted { get; } = new();

    /// <summary>Handlers of <c>demo/sleep KEY</c> that saw their cancellation token fire, by key.</summary>
    public ConcurrentDictionary<string, int> SleepCancelled { get; } = new();

    /// <summary>Every handler run, by command and key (to show a refused request ran nothing).</summary>
    public ConcurrentDictionary<string, int> Calls { get; } = new();

    /// <summary>Gates that <c>demo/stream KEY</c> waits on between its two lines.</summary>
    public ConcurrentDictionary<string, TaskCompletionSource> Gates { get; } = new();

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(ConfigDir);
        User = PeerIdentity.LoadOrCreate(ConfigDir, "console-test-user", out _);
        var a = await TestGateway.StartAsync();
        _gateways.Add(a);
        var join = JoinTarget.Parse($"{a.Endpoint}={a.Server.Fingerprint}");
        for (int i = 1; i < 3; i++)
        {
            _gateways.Add(await TestGateway.StartAsync(o => o with { Cluster = o.Cluster with { Join = [join] } }));
        }

        var service = PeerIdentity.CreateEphemeral("demo-service");
        var knownHosts = new KnownHosts(KnownHostsPath);
        foreach (var gw in _gateways)
        {
            foreach (var other in _gateways.Where(o => o != gw))
            {
                AuthorizedPeers.Upsert(gw.Server.Runtime.Options.AuthorizedPath, new PeerGrant(other.Server.Fingerprint, "gw-" + other.Endpoint.Port, PeerRoles.Gateway, []));
            }

            AuthorizedPeers.Upsert(gw.Server.Runtime.Options.AuthorizedPath, new PeerGrant(User.Fingerprint, "ops", PeerRoles.Admin | PeerRoles.Client, []));
            AuthorizedPeers.Upsert(gw.Server.Runtime.Options.AuthorizedPath, new PeerGrant(service.Fingerprint, "demo", PeerRoles.Service, ["demo"]));
            gw.Server.Runtime.Authorized.Reload();
            knownHosts.Set(gw.Endpoint.ToString(), gw.Server.Fingerprint);
        }

        await Until(() => _gateways.All(g => g.Server.Membership!.Members.Count(m => m.State == Gatehouse.Cluster.Membership.MemberState.Alive) == 3),
            TimeSpan.FromSeconds(60), "the three gateways never saw each other alive");

        for (int i = 0; i < _gateways.Count; i++)
        {
            int index = i;
            await _gateways[i].RunServiceAsync(service, s => Map(s, index));
        }
    }

    /// <summary>The demo service as attached to gateway <paramref name="index"/>.</summary>
    private void Map(GatehouseService service, int index)
    {
        service
            .Map("demo", "hello", async ctx =>
            {
                Calls.AddOrUpdate("hello", 1, (_, n) => n + 1);
                await ctx.WriteAsync("hello from the demo service\n");
                return 0;
            })
            .Map("demo", "stream", async ctx =>
            {
                // Two lines with a gate between them: the test sees the first line live, then opens the gate.
                string key = ctx.Args[0];
                Calls.AddOrUpdate("stream " + key, 1, (_, n) => n + 1);
                await ctx.WriteAsync("line 1\n");
                await Gates.GetOrAdd(key, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task.WaitAsync(TimeSpan.FromSeconds(60), ctx.CancellationToken);
                await ctx.WriteAsync("line 2\n");
                return 0;
            })
            .Map("demo", "check", async ctx =>
            {
                // The same output everywhere; the third gateway's service exits 3.
                Calls.AddOrUpdate("check", 1, (_, n) => n + 1);
                await ctx.WriteAsync("checked the disks\n");
                if (index == 2)
                {
                    await ctx.WriteErrorAsync("disk 2 is failing\n");
                    return 3;
                }

                return 0;
            })
            .Map("demo", "sleep", async ctx =>
            {
                string key = ctx.Args[0];
                SleepStarted.AddOrUpdate(key, 1, (_, n) => n + 1);
                await ctx.WriteAsync("sleeping\n");
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(60), ctx.CancellationToken);
                }
                catch (OperationCanceledException) when (ctx.CancellationToken.IsCancellationRequested)
                {
                    SleepCancelled.AddOrUpdate(key, 1, (_, n) => n + 1);
                    throw;
                }

                return 0;
            })
            .Map("demo", "echo", async ctx =>
            {
                // Echoes its arguments (one per line) and its stdin.
                foreach (string arg in ctx.Args)
                {
                    await ctx.WriteAsync("[" + arg + "]\n");
                }

                using var reader = new StreamReader(ctx.Stdin);
                await ctx.WriteAsync("stdin: " + await reader.ReadToEndAsync(ctx.CancellationToken));
                return 0;
            });
    }

    /// <summary>Options for a console of this user, showing the cluster through the first gateway.</summary>
    public ConsoleOptions ConsoleOptions(string? knownHostsPath = null) => new()
    {
        Identity = User,
        KnownHostsPath = knownHostsPath ?? KnownHostsPath,
        Via = Addresses[0],
        ConnectTimeout = TimeSpan.FromSeconds(5),
    };

    public static async Task Until(Func<bool> condition, TimeSpan limit, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < limit, $"{what} (waited {limit.TotalSeconds:0} s)");
            await Task.Delay(100);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var gw in Enumerable.Reverse(_gateways))
        {
            await gw.DisposeAsync();
        }

        User?.Dispose();
        try
        {
            Directory.Delete(ConfigDir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp directory left behind does not change any result.
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>, ICollectionFixture<BrowserFixture>
{
    public const string Name = "three gateways";
}
