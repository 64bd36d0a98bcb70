using System.Diagnostics;
using System.Text.Json;
using Gatehouse.Fanout.Tests;

namespace Gatehouse.Cli.Tests;

/// <summary>
/// Three real gateway processes forming a cluster over real UDP and TLS on loopback, each with its
/// own state directory, as an operator would run them.
/// </summary>
public sealed class ClusterCliTests : IDisposable
{
    private readonly CliProcess[] _gateways = [new(), new(), new()];
    private readonly int[] _ports = [CliProcess.FreePort(), CliProcess.FreePort(), CliProcess.FreePort()];
    private readonly Process?[] _processes = new Process?[3];
    private readonly string[] _fingerprints = new string[3];
    private readonly CliProcess _admin = new();

    public void Dispose()
    {
        foreach (var g in _gateways)
        {
            g.Dispose();
        }

        _admin.Dispose();
    }

    private string Host(int i) => $"127.0.0.1:{_ports[i]}";

    private async Task StartAsync(int i, int? joinThrough)
    {
        string[] args = joinThrough is { } j
            ? [CliProcess.CliDll, "gateway", "--listen", Host(i), "--join", $"{Host(j)}={_fingerprints[j]}"]
            : [CliProcess.CliDll, "gateway", "--listen", Host(i)];
        var (p, output) = await _gateways[i].StartAsync(_gateways[i].StartInfo("dotnet", args), l => l.StartsWith("member", StringComparison.Ordinal));
        _processes[i] = p;
        lock (output)
        {
            _fingerprints[i] = output.ToString().Split('\n').First(l => l.StartsWith("fingerprint", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        }
    }

    /// <summary>Member fingerprint to state, as gateway <paramref name="i"/> sees it (empty when the call fails).</summary>
    private async Task<Dictionary<string, string>> MembersAsync(int i)
    {
        var (exit, stdout, _) = await _admin.RunAsync("call", Host(i), "--domain", "gatehouse", "members", "--json");
        if (exit != 0)
        {
            return [];
        }

        using var doc = JsonDocument.Parse(stdout);
        return doc.RootElement.EnumerateArray().ToDictionary(e => e.GetProperty("fingerprint").GetString()!, e => e.GetProperty("state").GetString()!);
    }

    private async Task<TimeSpan> UntilAsync(Func<Task<bool>> condition, TimeSpan limit, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < limit, $"{what} (waited {limit.TotalSeconds:0} s)");
            await Task.Delay(250);
        }

        return clock.Elapsed;
    }

    private Func<Task<bool>> Sees(int viewer, int member, string state) => async () =>
        (await MembersAsync(viewer)).TryGetValue(_fingerprints[member], out var s) && s == state;

    [Fact]
    public async Task Two_members_with_udp_blocked_between_them_keep_each_other_alive_over_tls_and_say_so_once()
    {
        // The second gateway runs in a network namespace whose iptables drop every UDP packet in:
        // no probe or ack crosses, TCP (TLS) does.
        using var ns = new DroppingNamespace("-A", "INPUT", "-p", "udp", "-j", "DROP");
        string first = $"{ns.HostAddress}:{_ports[0]}";
        string second = $"{ns.InsideAddress}:{_ports[1]}";
        var (p0, out0) = await _gateways[0].StartAsync(_gateways[0].StartInfo("dotnet", [CliProcess.CliDll, "gateway", "--listen", first]), l => l.StartsWith("member", StringComparison.Ordinal));
        string fp0 = Fingerprint(out0);
        var (p1, out1) = await _gateways[1].StartAsync(
            _gateways[1].StartInfo("ip", ["netns", "exec", ns.Name, "dotnet", CliProcess.CliDll, "gateway", "--listen", second, "--join", $"{first}={fp0}"]),
            l => l.StartsWith("member", StringComparison.Ordinal));
        string fp1 = Fingerprint(out1);
        Assert.Equal(0, (await _gateways[0].RunAsync("authorize", fp1, "--name", "gw2", "--role", "gateway")).Exit);
        var (_, adminId, _) = await _admin.RunAsync("id");
        Assert.Equal(0, (await _gateways[0].RunAsync("authorize", adminId.Trim(), "--name", "ops", "--role", "admin")).Exit);
        Assert.Equal(0, (await _admin.RunAsync("trust", first, "--fingerprint", fp0)).Exit);
        Assert.Equal(0, (await _admin.RunAsync("trust", second, "--fingerprint", fp1)).Exit);

        async Task<string?> StateAsync(string viewer, string member)
        {
            var (exit, stdout, _) = await _admin.RunAsync("call", viewer, "--domain", "gatehouse", "members", "--json");
            if (exit != 0)
            {
                return null;
            }

            using var doc = JsonDocument.Parse(stdout);
            return doc.RootElement.EnumerateArray().Where(e => e.GetProperty("fingerprint").GetString() == member).Select(e => e.GetProperty("state").GetString()).FirstOrDefault();
        }

        await UntilAsync(async () => await StateAsync(first, fp1) == "alive" && await StateAsync(second, fp0) == "alive", TimeSpan.FromSeconds(45), "the two members never saw each other alive");

        // Well past a suspicion timeout (4 s at this size, up to 24 s unconfirmed): never dead.
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            Assert.NotEqual("dead", await StateAsync(first, fp1));
            Assert.NotEqual("dead", await StateAsync(second, fp0));
            await Task.Delay(500);
        }

        Assert.Equal("alive", await StateAsync(first, fp1));
        string log0;
        lock (out0)
        {
            log0 = out0.ToString();
        }

        // Said once per member, not per probe.
        Assert.Equal(1, log0.Split('\n').Count(l => l.Contains("UDP seems blocked", StringComparison.Ordinal)));
        CliProcess.Stop(p1);
        CliProcess.Stop(p0);
    }

    private static string Fingerprint(System.Text.StringBuilder output)
    {
        lock (output)
        {
            return output.ToString().Split('\n').First(l => l.StartsWith("fingerprint", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        }
    }

    [Fact]
    public async Task Three_gateways_join_with_one_command_each_share_grants_see_a_crash_and_a_rejoin_and_drop_a_revoked_member()
    {
        // The first gateway needs nothing; each new one is started with --join and admitted by one
        // authorize on an existing member.
        await StartAsync(0, joinThrough: null);
        await StartAsync(1, joinThrough: 0);
        await StartAsync(2, joinThrough: 0);
        Assert.Equal(0, (await _gateways[0].RunAsync("authorize", _fingerprints[1], "--name", "gw2", "--role", "gateway")).Exit);
        Assert.Equal(0, (await _gateways[0].RunAsync("authorize", _fingerprints[2], "--name", "gw3", "--role", "gateway")).Exit);

        // An admin authorized on the first gateway only: the grant spreads to the others.
        var (_, adminId, _) = await _admin.RunAsync("id");
        Assert.Equal(0, (await _gateways[0].RunAsync("authorize", adminId.Trim(), "--name", "ops", "--role", "admin")).Exit);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(0, (await _admin.RunAsync("trust", Host(i), "--fingerprint", _fingerprints[i])).Exit);
        }

        // Every member sees all three alive (the second and third also know each other: they got
        // each other's gateway grants from the first and exchanged keys directly).
        foreach (int viewer in new[] { 0, 1, 2 })
        {
            await UntilAsync(async () =>
            {
                var m = await MembersAsync(viewer);
                return _fingerprints.All(fp => m.TryGetValue(fp, out var s) && s == "alive");
            }, TimeSpan.FromSeconds(45), $"gateway {viewer + 1} does not see all three members alive");
        }

        // SIGKILL the third: both others see it dead.
        _processes[2]!.Kill();
        await _processes[2]!.WaitForExitAsync();
        var detected = await UntilAsync(Sees(0, 2, "dead"), TimeSpan.FromSeconds(30), "gateway 1 never saw the killed member dead");
        await UntilAsync(Sees(1, 2, "dead"), TimeSpan.FromSeconds(30), "gateway 2 never saw the killed member dead");
        Assert.True(detected < TimeSpan.FromSeconds(30), $"detected after {detected}");

        // Fan-out to @cluster through the first gateway: the two live members answer; the dead one
        // is reported as dead at once (it is not dialled).
        var fanout = await _admin.RunAsync("call", "-w", "@cluster", "--via", Host(0), "--domain", "gatehouse", "whoami");
        Assert.Contains($"{Host(0)}: ops ", fanout.Stdout, StringComparison.Ordinal);
        Assert.Contains($"{Host(1)}: ops ", fanout.Stdout, StringComparison.Ordinal);
        Assert.Contains($"member is dead (according to {Host(0)})", fanout.Stderr, StringComparison.Ordinal);
        Assert.Contains(Host(2), fanout.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain($"{Host(2)}: ops", fanout.Stdout, StringComparison.Ordinal);

        // It restarts (same identity, same port) and rejoins.
        await StartAsync(2, joinThrough: 0);
        await UntilAsync(Sees(0, 2, "alive"), TimeSpan.FromSeconds(30), "the restarted member is not alive on gateway 1");
        await UntilAsync(Sees(1, 2, "alive"), TimeSpan.FromSeconds(30), "the restarted member is not alive on gateway 2");

        // A grant made on the second member is honoured by the third.
        using var client = new CliProcess();
        var (_, clientId, _) = await client.RunAsync("id");
        Assert.Equal(0, (await client.RunAsync("trust", Host(2), "--fingerprint", _fingerprints[2])).Exit);
        Assert.Equal(0, (await _gateways[1].RunAsync("authorize", clientId.Trim(), "--name", "carol", "--role", "client")).Exit);
        await UntilAsync(async () => (await client.RunAsync("call", Host(2), "--domain", "gatehouse", "whoami")).Stdout.StartsWith("carol ", StringComparison.Ordinal),
            TimeSpan.FromSeconds(20), "a client authorized on gateway 2 was not accepted by gateway 3");

        // Removing the second gateway's grant on the first (one command): every member drops its
        // datagrams, so it is no longer alive for them.
        Assert.Equal(0, (await _gateways[0].RunAsync("authorize", "--remove", _fingerprints[1])).Exit);
        Assert.DoesNotContain(File.ReadAllLines(Path.Combine(_gateways[0].StateDir, "authorized_peers")), l => l.StartsWith(_fingerprints[1], StringComparison.Ordinal));
        await UntilAsync(async () => (await MembersAsync(0)).GetValueOrDefault(_fingerprints[1]) is "suspect" or "dead", TimeSpan.FromSeconds(30), "gateway 1 still holds the revoked member alive");
        await UntilAsync(async () => (await MembersAsync(2)).GetValueOrDefault(_fingerprints[1]) is "suspect" or "dead", TimeSpan.FromSeconds(30), "gateway 3 still holds the revoked member alive");
    }
}
