using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Gatehouse.Client;
using Gatehouse.Protocol;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;

namespace Gatehouse.Cli.Tests;

/// <summary>
/// Forwarding between real gateway processes: a client of gateway C calls a service attached only
/// to gateway A; A is killed (SIGKILL) under in-flight forwarded calls; a service on B takes the
/// later calls; A restarted is used again.
/// </summary>
public sealed class ClusterForwardingCliTests : IDisposable
{
    private readonly CliProcess[] _gateways = [new(), new(), new()];
    private readonly int[] _ports = [CliProcess.FreePort(), CliProcess.FreePort(), CliProcess.FreePort()];
    private readonly string[] _fingerprints = new string[3];
    private readonly List<Process> _processes = [];

    public void Dispose()
    {
        foreach (var p in _processes)
        {
            CliProcess.Stop(p);
        }

        foreach (var g in _gateways)
        {
            g.Dispose();
        }
    }

    private string Host(int i) => $"127.0.0.1:{_ports[i]}";

    private async Task<Process> StartGatewayAsync(int i)
    {
        string[] args = i == 0
            ? [CliProcess.CliDll, "gateway", "--listen", Host(0)]
            : [CliProcess.CliDll, "gateway", "--listen", Host(i), "--join", $"{Host(0)}={_fingerprints[0]}"];
        var (p, output) = await _gateways[i].StartAsync(_gateways[i].StartInfo("dotnet", args), l => l.StartsWith("member", StringComparison.Ordinal));
        lock (output)
        {
            _fingerprints[i] = output.ToString().Split('\n').First(l => l.StartsWith("fingerprint", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        }

        _processes.Add(p);
        return p;
    }

    /// <summary>A demo service attached to one gateway only (no discovery: the point is that the others forward to it).</summary>
    private async Task<Process> StartServiceAsync(string identityDir, string instance, int gateway)
    {
        var psi = _gateways[gateway].StartInfo("dotnet", [CliProcess.DemoDll, "--identity", identityDir, "--instance", instance, "--no-discover", "--gateway", $"{Host(gateway)}={_fingerprints[gateway]}"]);
        var (p, _) = await _gateways[gateway].StartAsync(psi, l => l.StartsWith("attached", StringComparison.Ordinal));
        _processes.Add(p);
        return p;
    }

    private static async Task Until(Func<Task<bool>> condition, string what, double seconds = 40)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(seconds), $"{what} (waited {seconds} s)");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task Forwarded_calls_survive_the_death_of_the_member_that_hosts_the_service_with_one_status_each()
    {
        var a = await StartGatewayAsync(0);
        await StartGatewayAsync(1);
        await StartGatewayAsync(2);
        Assert.Equal(0, (await _gateways[0].RunAsync("authorize", _fingerprints[1], "--name", "gw-b", "--role", "gateway")).Exit);
        Assert.Equal(0, (await _gateways[0].RunAsync("authorize", _fingerprints[2], "--name", "gw-c", "--role", "gateway")).Exit);

        // A client (with the admin role too, to read `services`) and a service, authorized on A only: the grants spread.
        using var me = PeerIdentity.LoadOrCreate(Path.Combine(_gateways[0].Root, "tester"), "tester", out _);
        Assert.Equal(0, (await _gateways[0].RunAsync("authorize", me.Fingerprint.ToString(), "--name", "tester", "--role", "admin", "--domain", "demo")).Exit);
        string serviceDir = Path.Combine(_gateways[0].Root, "svc");
        using (var id = PeerIdentity.LoadOrCreate(serviceDir, "svc", out _))
        {
            Assert.Equal(0, (await _gateways[0].RunAsync("authorize", id.Fingerprint.ToString(), "--name", "demo", "--role", "service", "--domain", "demo")).Exit);
        }

        await using var client = new GatehouseClient(new Endpoint("127.0.0.1", _ports[2]), new ClientOptions
        {
            Identity = me,
            Pins = ClientOptions.PinTo(Fingerprint.Parse(_fingerprints[2])),
            Connection = ConnectionOptions.Default with { ConnectTimeout = TimeSpan.FromSeconds(5), MaxRetries = 0 },
        });
        await Until(async () => await TryCallAsync(client, "whoami", RequestHeader.ControlDomain) is { Succeeded: true }, "C never accepted the client authorized on A");

        var one = await StartServiceAsync(serviceDir, "one", gateway: 0);
        await Until(async () => await TryCallAsync(client, "hostname", "demo") is { Succeeded: true } r && r.StdoutText.Contains("instance=one", StringComparison.Ordinal), "C never forwarded to the service on A");

        // Four long calls in flight through C to A; then A dies without a word.
        var calls = new List<(ActiveCall Call, IAsyncEnumerator<OutputChunk> Output)>();
        for (int i = 0; i < 4; i++)
        {
            var call = await client.StartCallAsync(new CallRequest("sleep", "30") { Domain = "demo" });
            var output = call.ReadOutputAsync().GetAsyncEnumerator();
            Assert.True(await output.MoveNextAsync());
            Assert.Contains("instance=one", Encoding.UTF8.GetString(output.Current.Data.Span), StringComparison.Ordinal);
            calls.Add((call, output));
        }

        a.Kill();
        var statuses = await Task.WhenAll(calls.Select(async c =>
        {
            while (await c.Output.MoveNextAsync())
            {
                // the dots, until the end
            }

            await c.Output.DisposeAsync();
            var status = await c.Call.Completion;
            await c.Call.DisposeAsync();
            return status;
        })).WaitAsync(TimeSpan.FromSeconds(20)); // none hangs
        Assert.All(statuses, s =>
        {
            Assert.Equal(StatusKind.Error, s.Kind);
            Assert.Contains($"forwarded to member {Host(0)}", s.Message, StringComparison.Ordinal);
        });

        // The service also attached to B takes the later calls.
        var two = await StartServiceAsync(serviceDir, "two", gateway: 1);
        await Until(async () => await TryCallAsync(client, "hostname", "demo") is { Succeeded: true } r && r.StdoutText.Contains("instance=two", StringComparison.Ordinal), "C never forwarded to the service on B");

        // A back (same identity and address): service "one" re-attaches there and C uses it again.
        _processes.Remove(a);
        await StartGatewayAsync(0);
        await Until(async () =>
        {
            var r = await TryCallAsync(client, "services", RequestHeader.ControlDomain, "--json");
            if (r is not { Succeeded: true })
            {
                return false;
            }

            using var doc = JsonDocument.Parse(r.StdoutText);
            return doc.RootElement.EnumerateArray().Any(route => route.GetProperty("command").GetString() == "hostname"
                && route.TryGetProperty("members", out var members) && members.ValueKind == JsonValueKind.Array
                && members.EnumerateArray().Any(m => m.GetProperty("address").GetString() == Host(0)));
        }, "C never saw A's routes again", 60);
        await Until(async () => await TryCallAsync(client, "hostname", "demo") is { Succeeded: true } r && r.StdoutText.Contains("instance=one", StringComparison.Ordinal), "C never used A's service again");
        GC.KeepAlive(two);
        GC.KeepAlive(one);
    }

    [Fact]
    public async Task Idempotent_forwarded_calls_move_to_another_member_when_theirs_dies_before_answering()
    {
        var a = await StartGatewayAsync(0);
        await StartGatewayAsync(1);
        await StartGatewayAsync(2);
        Assert.Equal(0, (await _gateways[0].RunAsync("authorize", _fingerprints[1], "--name", "gw-b", "--role", "gateway")).Exit);
        Assert.Equal(0, (await _gateways[0].RunAsync("authorize", _fingerprints[2], "--name", "gw-c", "--role", "gateway")).Exit);
        using var me = PeerIdentity.LoadOrCreate(Path.Combine(_gateways[0].Root, "tester"), "tester", out _);
        Assert.Equal(0, (await _gateways[0].RunAsync("authorize", me.Fingerprint.ToString(), "--name", "tester", "--role", "admin", "--domain", "demo")).Exit);
        string serviceDir = Path.Combine(_gateways[0].Root, "svc");
        using (var id = PeerIdentity.LoadOrCreate(serviceDir, "svc", out _))
        {
            Assert.Equal(0, (await _gateways[0].RunAsync("authorize", id.Fingerprint.ToString(), "--name", "demo", "--role", "service", "--domain", "demo")).Exit);
        }

        await using var client = new GatehouseClient(new Endpoint("127.0.0.1", _ports[2]), new ClientOptions
        {
            Identity = me,
            Pins = ClientOptions.PinTo(Fingerprint.Parse(_fingerprints[2])),
            Connection = ConnectionOptions.Default with { ConnectTimeout = TimeSpan.FromSeconds(5), MaxRetries = 0 },
        });
        await Until(async () => await TryCallAsync(client, "whoami", RequestHeader.ControlDomain) is { Succeeded: true }, "C never accepted the client authorized on A");
        var one = await StartServiceAsync(serviceDir, "one", gateway: 0);
        await Until(async () => await TryCallAsync(client, "hostname", "demo") is { Succeeded: true } r && r.StdoutText.Contains("instance=one", StringComparison.Ordinal), "C never forwarded to the service on A");

        // Calls with no output yet, in flight through C on A (the only member serving them so far).
        // They wait 25 s: starting the second service and C learning its route took more than the
        // 6 s they used to wait on a loaded machine, and a call that ends first proves nothing.
        var idempotent = Enumerable.Range(0, 3).Select(_ => client.CallAsync(new CallRequest("wait", "25") { Domain = "demo", Idempotent = true })).ToList();
        var plain = client.CallAsync(new CallRequest("wait", "25") { Domain = "demo" });
        await Task.Delay(500);
        var two = await StartServiceAsync(serviceDir, "two", gateway: 1);
        await Until(async () =>
        {
            var r = await TryCallAsync(client, "services", RequestHeader.ControlDomain, "--json");
            using var doc = JsonDocument.Parse(r is { Succeeded: true } ? r.StdoutText : "[]");
            return doc.RootElement.EnumerateArray().Any(route => route.GetProperty("command").GetString() == "wait"
                && route.TryGetProperty("members", out var members) && members.ValueKind == JsonValueKind.Array
                && members.EnumerateArray().Any(m => m.GetProperty("address").GetString() == Host(1)));
        }, "C never learned that B serves demo/wait");
        Assert.All(idempotent, t => Assert.False(t.IsCompleted));

        a.Kill();
        var results = await Task.WhenAll(idempotent).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.All(results, r =>
        {
            Assert.True(r.Succeeded, r.Status.ToString());
            Assert.Contains("instance=two waited", r.StdoutText, StringComparison.Ordinal); // run again on B
        });

        // A call not marked idempotent is not run twice: it fails, naming the member.
        var failed = await plain.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(StatusKind.Error, failed.Status.Kind);
        Assert.Contains($"forwarded to member {Host(0)}", failed.Status.Message, StringComparison.Ordinal);
        GC.KeepAlive(one);
        GC.KeepAlive(two);
    }

    [Fact]
    public async Task The_sample_locator_places_two_users_of_one_domain_on_two_members()
    {
        await StartGatewayAsync(0);
        await StartGatewayAsync(1);
        Assert.Equal(0, (await _gateways[0].RunAsync("authorize", _fingerprints[1], "--name", "gw-b", "--role", "gateway")).Exit);
        using var me = PeerIdentity.LoadOrCreate(Path.Combine(_gateways[0].Root, "tester"), "tester", out _);
        Assert.Equal(0, (await _gateways[0].RunAsync("authorize", me.Fingerprint.ToString(), "--name", "tester", "--role", "client", "--domain", "demo")).Exit);
        string serviceDir = Path.Combine(_gateways[0].Root, "svc");
        string locatorDir = Path.Combine(_gateways[0].Root, "locator");
        foreach (var (dir, name) in new[] { (serviceDir, "demo"), (locatorDir, "locator") })
        {
            using var id = PeerIdentity.LoadOrCreate(dir, name, out _);
            Assert.Equal(0, (await _gateways[0].RunAsync("authorize", id.Fingerprint.ToString(), "--name", name, "--role", "service", "--domain", "demo")).Exit);
        }

        // alice lives on B (named by fingerprint), bob on A (named by address, kept 1 s).
        string map = Path.Combine(_gateways[0].Root, "users.map");
        File.WriteAllText(map, $"# user member [ttl]\nalice {_fingerprints[1]}\nbob {Host(0)} 1\n");
        var one = await StartServiceAsync(serviceDir, "one", gateway: 0);
        var two = await StartServiceAsync(serviceDir, "two", gateway: 1);
        var psi = _gateways[0].StartInfo("dotnet", [CliProcess.LocatorDll, "--identity", locatorDir, "--domain", "demo", "--map", map, "--no-discover", "--gateway", $"{Host(0)}={_fingerprints[0]}"]);
        var (locator, _) = await _gateways[0].StartAsync(psi, l => l.StartsWith("attached", StringComparison.Ordinal));
        _processes.Add(locator);

        // A client of B: B asks the locator on A (forwarding the question) where each user lives.
        await using var client = new GatehouseClient(new Endpoint("127.0.0.1", _ports[1]), new ClientOptions
        {
            Identity = me,
            Pins = ClientOptions.PinTo(Fingerprint.Parse(_fingerprints[1])),
            Connection = ConnectionOptions.Default with { ConnectTimeout = TimeSpan.FromSeconds(5), MaxRetries = 0 },
        });
        await Until(async () => await TryCallAsync(client, "hostname", "demo", "bob") is { Succeeded: true } r && r.StdoutText.Contains("instance=one", StringComparison.Ordinal), "B never placed bob on A");
        for (int i = 0; i < 3; i++)
        {
            Assert.Contains("instance=one", (await client.CallAsync(new CallRequest("hostname", "bob") { Domain = "demo" })).StdoutText, StringComparison.Ordinal);
            Assert.Contains("instance=two", (await client.CallAsync(new CallRequest("hostname", "alice") { Domain = "demo" })).StdoutText, StringComparison.Ordinal);
            Assert.Contains("instance=two", (await client.CallAsync(new CallRequest("hostname", "carol") { Domain = "demo" })).StdoutText, StringComparison.Ordinal); // not mapped: B's own service
        }

        // bob moves to B: once his 1 s answer expires, the new map places him there.
        File.WriteAllText(map, $"alice {_fingerprints[1]}\nbob {_fingerprints[1]} 1\n");
        await Until(async () => await TryCallAsync(client, "hostname", "demo", "bob") is { Succeeded: true } r && r.StdoutText.Contains("instance=two", StringComparison.Ordinal), "bob never moved to B", 20);
        GC.KeepAlive(one);
        GC.KeepAlive(two);
    }

    private static async Task<CallResult?> TryCallAsync(GatehouseClient client, string command, string domain, params string[] args)
    {
        try
        {
            return await client.CallAsync(new CallRequest(command, args) { Domain = domain });
        }
        catch (ConnectException)
        {
            return null;
        }
    }
}
