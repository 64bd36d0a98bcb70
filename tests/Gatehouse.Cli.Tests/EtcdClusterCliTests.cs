using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using Gatehouse.Bench.Processes;
using Gatehouse.Client;
using Gatehouse.Protocol;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;

namespace Gatehouse.Cli.Tests;

/// <summary>
/// Gateways on the etcd registry (issue 21), as an operator runs them: real gateway processes with
/// <c>Cluster:Registry=etcd</c> on a real 3-member etcd cluster on loopback that the test starts and
/// stops. Members agree, a service on one gateway is reached from another, a gateway killed with
/// SIGKILL is gone within its lease and comes back when restarted, grants written through one
/// gateway are honoured by all, one etcd member lost changes nothing, and with all of etcd gone the
/// gateways keep serving known routes, say so, and recover without a restart.
/// </summary>
public sealed class EtcdClusterCliTests : IAsyncLifetime
{
    private const int LeaseSeconds = 3;

    private readonly List<CliProcess> _hosts = [];
    private readonly List<Process> _processes = [];
    private readonly string _cluster = "t" + Guid.NewGuid().ToString("N")[..10];
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private EtcdCluster _etcd = null!;

    public async Task InitializeAsync() => _etcd = await EtcdCluster.StartAsync(3);

    public async Task DisposeAsync()
    {
        foreach (var p in _processes)
        {
            CliProcess.Stop(p);
        }

        foreach (var h in _hosts)
        {
            h.Dispose();
        }

        _http.Dispose();
        await _etcd.DisposeAsync();
    }

    /// <summary>One gateway: its host (state and config directories), port, diagnostics port and fingerprint.</summary>
    private sealed class Gateway(CliProcess host, int port, int diagnostics)
    {
        public CliProcess Host { get; } = host;

        public int Port { get; } = port;

        public int Diagnostics { get; } = diagnostics;

        public string Fingerprint { get; set; } = "";

        public Process? Process { get; set; }

        public StringBuilder Output { get; set; } = new();

        public string Address => $"127.0.0.1:{Port}";
    }

    private Gateway NewGateway()
    {
        var host = new CliProcess();
        _hosts.Add(host);
        return new Gateway(host, CliProcess.FreePort(), CliProcess.FreePort());
    }

    private async Task StartAsync(Gateway g)
    {
        string[] args =
        [
            CliProcess.CliDll, "gateway", "--listen", g.Address,
            "--set", "Cluster:Registry=etcd",
            "--set", "Cluster:Etcd:Endpoints=" + string.Join(",", _etcd.ClientUrls),
            "--set", "Cluster:Etcd:Cluster=" + _cluster,
            "--set", $"Cluster:Etcd:LeaseTtl={LeaseSeconds}s",
            "--set", "Cluster:Etcd:OperationTimeout=500ms",
            "--set", "Cluster:Etcd:RetryInterval=300ms",
            "--set", $"DiagnosticsListen=127.0.0.1:{g.Diagnostics}",
        ];
        var (p, output) = await g.Host.StartAsync(g.Host.StartInfo("dotnet", args), l => l.StartsWith("registry", StringComparison.Ordinal));
        lock (output)
        {
            g.Fingerprint = output.ToString().Split('\n').First(l => l.StartsWith("fingerprint", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        }

        g.Process = p;
        g.Output = output;
        _processes.Add(p);
    }

    private static GatehouseClient ClientOf(Gateway g, PeerIdentity me) => new(new Endpoint("127.0.0.1", g.Port), new ClientOptions
    {
        Identity = me,
        Pins = ClientOptions.PinTo(Fingerprint.Parse(g.Fingerprint)),
        Connection = ConnectionOptions.Default with { ConnectTimeout = TimeSpan.FromSeconds(5), MaxRetries = 0 },
    });

    private static async Task<CallResult?> TryCallAsync(Gateway g, PeerIdentity me, string command, string domain)
    {
        try
        {
            await using var client = ClientOf(g, me);
            return await client.CallAsync(new CallRequest(command) { Domain = domain });
        }
        catch (Exception ex) when (ex is ConnectException or IOException or OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>The fingerprints <c>gatehouse members</c> lists on <paramref name="g"/> (null when it cannot be asked).</summary>
    private static async Task<HashSet<string>?> MembersAsync(Gateway g, PeerIdentity admin)
    {
        var r = await TryCallAsync(g, admin, "members", RequestHeader.ControlDomain);
        return r is { Succeeded: true }
            ? [.. r.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).First(w => w.StartsWith("SHA256:", StringComparison.Ordinal)))]
            : null;
    }

    private static async Task<TimeSpan> Until(Func<Task<bool>> condition, string what, double seconds = 40)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(seconds), $"{what} (waited {seconds} s)");
            await Task.Delay(100);
        }

        return clock.Elapsed;
    }

    private static string Text(Gateway g)
    {
        lock (g.Output)
        {
            return g.Output.ToString();
        }
    }

    private async Task<string> ReadyzAsync(Gateway g) => await _http.GetStringAsync($"http://127.0.0.1:{g.Diagnostics}/readyz");

    private async Task<string> RegistryUpAsync(Gateway g) =>
        (await _http.GetStringAsync($"http://127.0.0.1:{g.Diagnostics}/metrics")).Split('\n').Single(l => l.StartsWith("gatehouse_cluster_registry_up{", StringComparison.Ordinal));

    private async Task<Process> StartServiceAsync(Gateway g, string identityDir, string instance)
    {
        var psi = g.Host.StartInfo("dotnet", [CliProcess.DemoDll, "--identity", identityDir, "--instance", instance, "--no-discover", "--gateway", $"{g.Address}={g.Fingerprint}"]);
        var (p, _) = await g.Host.StartAsync(psi, l => l.StartsWith("attached", StringComparison.Ordinal));
        _processes.Add(p);
        return p;
    }

    private static async Task<string> AuthorizeAsync(Gateway through, PeerIdentity who, string name, params string[] grant)
    {
        var r = await through.Host.RunAsync(["authorize", who.Fingerprint.ToString(), "--name", name, .. grant]);
        Assert.True(r.Exit == 0, r.Stderr);
        return who.Fingerprint.ToString();
    }

    [Fact]
    public async Task Three_gateways_agree_on_members_forward_to_a_service_on_another_lose_a_killed_one_within_the_lease_and_take_it_back()
    {
        Gateway a = NewGateway(), b = NewGateway(), c = NewGateway();
        foreach (var g in (Gateway[])[a, b, c])
        {
            await StartAsync(g);
        }

        // Gossip is off: no UDP socket on a gateway's port (it would be bound on the TCP port's number).
        using (var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, a.Port)))
        {
            Assert.NotNull(udp.Client.LocalEndPoint);
        }

        // A grant written through one gateway (on its host, into its authorized_peers) is honoured by all.
        using var admin = PeerIdentity.LoadOrCreate(Path.Combine(a.Host.Root, "admin"), "admin", out _);
        await AuthorizeAsync(a, admin, "tester", "--role", "admin", "--domain", "demo");
        string[] all = [a.Fingerprint, b.Fingerprint, c.Fingerprint];
        foreach (var g in (Gateway[])[a, b, c])
        {
            await Until(async () => await MembersAsync(g, admin) is { } m && m.SetEquals(all), $"{g.Address} never listed all three members");
        }

        // A service authorized through B, attached to A only, is reached through C.
        string serviceDir = Path.Combine(b.Host.Root, "svc");
        using (var id = PeerIdentity.LoadOrCreate(serviceDir, "svc", out _))
        {
            await AuthorizeAsync(b, id, "demo", "--role", "service", "--domain", "demo");
        }

        await StartServiceAsync(a, serviceDir, "one");
        await Until(async () => await TryCallAsync(c, admin, "hostname", "demo") is { Succeeded: true } r && r.StdoutText.Contains("instance=one", StringComparison.Ordinal), "C never forwarded to the service on A");

        // A dies without a word: its lease ends, B and C drop it within the TTL (plus etcd's expiry tick and the watch).
        a.Process!.Kill();
        var gone = await Until(async () => await MembersAsync(b, admin) is { } m && !m.Contains(a.Fingerprint) && await MembersAsync(c, admin) is { } n && !n.Contains(a.Fingerprint),
            "A was still listed after its lease", LeaseSeconds + 4);
        var denied = await TryCallAsync(c, admin, "hostname", "demo");
        Assert.NotNull(denied);
        Assert.False(denied.Succeeded, "C still reached a service on the dead gateway");

        // Restarted on its state (same identity): it is a member again and its service (which retries) is reached again.
        await StartAsync(a);
        foreach (var g in (Gateway[])[b, c])
        {
            await Until(async () => await MembersAsync(g, admin) is { } m && m.SetEquals(all), $"{g.Address} never listed the restarted A");
        }

        await Until(async () => await TryCallAsync(c, admin, "hostname", "demo") is { Succeeded: true } r && r.StdoutText.Contains("instance=one", StringComparison.Ordinal), "C never forwarded to the restarted A", 60);
        Assert.True(gone < TimeSpan.FromSeconds(LeaseSeconds + 4), $"gone after {gone.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task One_etcd_member_lost_changes_nothing_and_with_all_of_etcd_gone_gateways_serve_known_routes_say_so_and_recover_without_a_restart()
    {
        Gateway a = NewGateway(), b = NewGateway();
        await StartAsync(a);
        await StartAsync(b);
        using var admin = PeerIdentity.LoadOrCreate(Path.Combine(a.Host.Root, "admin"), "admin", out _);
        await AuthorizeAsync(a, admin, "tester", "--role", "admin", "--domain", "demo");
        string serviceDir = Path.Combine(a.Host.Root, "svc");
        using (var id = PeerIdentity.LoadOrCreate(serviceDir, "svc", out _))
        {
            await AuthorizeAsync(a, id, "demo", "--role", "service", "--domain", "demo");
        }

        await StartServiceAsync(a, serviceDir, "one");
        await Until(async () => await TryCallAsync(b, admin, "hostname", "demo") is { Succeeded: true }, "B never forwarded to the service on A");

        // The leader killed: a quorum is left; new grants still spread, calls still go through.
        int leader = await _etcd.LeaderAsync();
        _etcd.Kill(leader < 0 ? 0 : leader);
        using var late = PeerIdentity.LoadOrCreate(Path.Combine(b.Host.Root, "late"), "late", out _);
        await AuthorizeAsync(b, late, "late", "--role", "client", "--domain", "demo");
        await Until(async () => await TryCallAsync(a, late, "whoami", RequestHeader.ControlDomain) is { Succeeded: true }, "a grant written through B while an etcd member was down never reached A");
        Assert.True((await TryCallAsync(b, admin, "hostname", "demo"))?.Succeeded, "B stopped forwarding with one etcd member down");
        await Until(async () => (await ReadyzAsync(b)) == "ready\n" && (await RegistryUpAsync(b)).EndsWith(" 1", StringComparison.Ordinal), "B did not report the registry up with two of three etcd members");

        // All of etcd gone: the gateways keep serving what they knew, and say the registry is down.
        for (int i = 0; i < _etcd.Count; i++)
        {
            if (_etcd.IsRunning(i))
            {
                _etcd.Kill(i);
            }
        }

        await Until(async () => (await ReadyzAsync(b)).Contains("registry etcd: down since", StringComparison.Ordinal), "B's /readyz never said the registry was down");
        Assert.EndsWith(" 0", await RegistryUpAsync(b), StringComparison.Ordinal);
        Assert.StartsWith("ready; ", await ReadyzAsync(b), StringComparison.Ordinal); // still serving
        var during = await TryCallAsync(b, admin, "hostname", "demo");
        Assert.True(during is { Succeeded: true }, "B stopped forwarding a known route while etcd was down");
        Assert.Equal(2, (await MembersAsync(b, admin))?.Count);
        lock (b.Output)
        {
            Assert.Contains("Cluster registry: etcd cannot be used", b.Output.ToString(), StringComparison.Ordinal);
        }

        // etcd back: both recover on their own, and changes flow again.
        for (int i = 0; i < _etcd.Count; i++)
        {
            _etcd.Restart(i);
        }

        await _etcd.WaitHealthyAsync(TimeSpan.FromSeconds(30));
        foreach (var g in (Gateway[])[a, b])
        {
            await Until(async () => (await ReadyzAsync(g)) == "ready\n" && (await RegistryUpAsync(g)).EndsWith(" 1", StringComparison.Ordinal), $"{g.Address} never reported the registry up again");
        }

        using var after = PeerIdentity.LoadOrCreate(Path.Combine(b.Host.Root, "after"), "after", out _);
        await AuthorizeAsync(b, after, "after", "--role", "client", "--domain", "demo");
        try
        {
            await Until(async () => await TryCallAsync(a, after, "whoami", RequestHeader.ControlDomain) is { Succeeded: true }, "a grant written through B after etcd returned never reached A");
            await Until(async () => await TryCallAsync(a, after, "hostname", "demo") is { Succeeded: true }, "A's service did not answer the client granted after etcd returned");
        }
        catch (Xunit.Sdk.XunitException ex)
        {
            var last = await TryCallAsync(a, after, "hostname", "demo");
            var earlier = await TryCallAsync(a, late, "hostname", "demo");
            throw new Xunit.Sdk.XunitException($"{ex.Message}\nlast call: {last?.Status.ToString() ?? "no connection"}; a client granted earlier: {earlier?.Status.ToString() ?? "no connection"}\netcd grants: {(await _etcd.EtcdctlAsync(["get", "--prefix", $"/gatehouse/{_cluster}/grants/"])).Output}\nA's authorized_peers:\n{File.ReadAllText(Path.Combine(a.Host.StateDir, "authorized_peers"))}\nB's authorized_peers:\n{File.ReadAllText(Path.Combine(b.Host.StateDir, "authorized_peers"))}\n--- A:\n{Text(a)}\n--- B:\n{Text(b)}");
        }
        await Until(async () => await MembersAsync(a, admin) is { Count: 2 } && await MembersAsync(b, admin) is { Count: 2 }, "the members did not agree again");
    }
}
