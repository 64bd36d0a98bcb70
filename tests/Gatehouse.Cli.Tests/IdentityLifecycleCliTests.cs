using System.Text;
using System.Text.Json;

namespace Gatehouse.Cli.Tests;

/// <summary>
/// Issue 17 with real processes: trust on first use that is only that, peer management on the
/// gateway host, a broken authorized_peers that is loud and safe, key rotation with pin rollover.
/// </summary>
public class IdentityLifecycleCliTests
{
    private static bool Logged(StringBuilder output, string text)
    {
        lock (output)
        {
            return output.ToString().Contains(text, StringComparison.Ordinal);
        }
    }

    private static async Task WaitForAsync(Func<bool> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for " + what);
            await Task.Delay(100);
        }
    }

    private static string KnownHostsLine(CliProcess cli, string host) =>
        File.ReadAllLines(Path.Combine(cli.ConfigDir, "known_hosts")).Single(l => l.StartsWith(host + " ", StringComparison.Ordinal));

    [Fact]
    public async Task Trust_yes_never_replaces_a_changed_fingerprint_and_only_the_exact_replacement_is_accepted()
    {
        using var cli = new CliProcess();
        int port = CliProcess.FreePort();
        string host = $"127.0.0.1:{port}";
        var (first, firstFp) = await cli.StartGatewayAsync(port);
        Assert.Equal(0, (await cli.RunAsync("trust", host, "--yes")).Exit);

        // --fingerprint is compared even when the host is pinned and unchanged (was: "already trusted", exit 0).
        var wrong = await cli.RunAsync("trust", host, "--fingerprint", "SHA256:" + new string('Q', 43));
        Assert.Equal(255, wrong.Exit);
        Assert.Contains("not SHA256:QQQQ", wrong.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, (await cli.RunAsync("trust", host, "--fingerprint", firstFp)).Exit);
        CliProcess.Stop(first);

        // Another gateway (another key) on the same address: an interception, as far as the client can tell.
        cli.StateDir = Path.Combine(cli.Root, "other-state");
        var (second, secondFp) = await cli.StartGatewayAsync(port);
        Assert.NotEqual(firstFp, secondFp);
        try
        {
            var yes = await cli.RunAsync("trust", host, "--yes");
            Assert.Equal(255, yes.Exit);
            Assert.Contains("FINGERPRINT HAS CHANGED", yes.Stderr, StringComparison.Ordinal);
            Assert.Contains("--replace " + secondFp, yes.Stderr, StringComparison.Ordinal);
            Assert.Equal($"{host} {firstFp}", KnownHostsLine(cli, host));

            var many = await cli.RunAsync("trust", "-w", host, "--yes");
            Assert.Equal(255, many.Exit);
            Assert.Equal($"{host} {firstFp}", KnownHostsLine(cli, host));

            var badReplace = await cli.RunAsync("trust", host, "--replace", firstFp);
            Assert.Equal(255, badReplace.Exit);
            Assert.Equal($"{host} {firstFp}", KnownHostsLine(cli, host));

            var replace = await cli.RunAsync("trust", host, "--replace", secondFp);
            Assert.True(replace.Exit == 0, replace.Stderr);
            Assert.Equal($"{host} {secondFp}", KnownHostsLine(cli, host));

            var list = await cli.RunAsync("trust", "--list");
            Assert.Contains($"{host} {secondFp}", list.Stdout, StringComparison.Ordinal);
            Assert.Equal(0, (await cli.RunAsync("trust", "--remove", host)).Exit);
            Assert.DoesNotContain(host, File.ReadAllText(Path.Combine(cli.ConfigDir, "known_hosts")), StringComparison.Ordinal);
        }
        finally
        {
            CliProcess.Stop(second);
        }
    }

    [Fact]
    public async Task A_malformed_known_hosts_is_refused_with_its_line_and_never_edited()
    {
        using var cli = new CliProcess();
        Directory.CreateDirectory(cli.ConfigDir);
        string path = Path.Combine(cli.ConfigDir, "known_hosts");
        string content = "gw1:7340 SHA256:" + new string('A', 43) + "\ngw2:7340 not-a-fingerprint\n";
        File.WriteAllText(path, content);
        var list = await cli.RunAsync("trust", "--list");
        Assert.Equal(78, list.Exit);
        Assert.Contains("known_hosts:2:", list.Stderr, StringComparison.Ordinal);
        var remove = await cli.RunAsync("trust", "--remove", "gw1:7340");
        Assert.Equal(78, remove.Exit);
        Assert.Equal(content, File.ReadAllText(path));
    }

    [Fact]
    public async Task A_malformed_authorized_peers_stops_the_start_and_authorize_with_file_and_line()
    {
        using var cli = new CliProcess();
        Directory.CreateDirectory(cli.StateDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string path = Path.Combine(cli.StateDir, "authorized_peers");
        string content = "# peers\nSHA256:" + new string('A', 43) + " alice roles=client\nSHA256:" + new string('B', 43) + " bob roles=clinet\n";
        File.WriteAllText(path, content);

        var start = await cli.RunAsync("gateway", "--listen", $"127.0.0.1:{CliProcess.FreePort()}");
        Assert.Equal(1, start.Exit);
        Assert.Contains("authorized_peers:3:", start.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", start.Stderr, StringComparison.Ordinal);

        var authorize = await cli.RunAsync("authorize", "SHA256:" + new string('C', 43), "--name", "carol");
        Assert.Equal(78, authorize.Exit);
        Assert.Contains("authorized_peers:3:", authorize.Stderr, StringComparison.Ordinal);
        Assert.Equal(78, (await cli.RunAsync("authorize", "--remove", "alice")).Exit);
        Assert.Equal(78, (await cli.RunAsync("peers")).Exit);
        Assert.Equal(content, File.ReadAllText(path));
    }

    [Fact]
    public async Task Peers_are_listed_changed_and_removed_by_name_and_by_fingerprint()
    {
        using var cli = new CliProcess();
        int port = CliProcess.FreePort();
        string host = $"127.0.0.1:{port}";
        var (gateway, _) = await cli.StartGatewayAsync(port);
        try
        {
            Assert.Equal(0, (await cli.RunAsync("authorize", "--self", "--name", "tester", "--role", "admin")).Exit);
            string bob = "SHA256:" + new string('B', 43);
            string carol = "SHA256:" + new string('C', 43);
            Assert.Equal(0, (await cli.RunAsync("authorize", bob, "--name", "bob", "--role", "service", "--domain", "mail")).Exit);
            Assert.Equal(0, (await cli.RunAsync("authorize", carol, "--name", "carol")).Exit);
            Assert.Equal(0, (await cli.RunAsync("trust", host, "--yes")).Exit);
            await WaitForAsync(() => cli.RunAsync("call", host, "--domain", "gatehouse", "whoami").Result.Exit == 0, "whoami");

            // Changed by name: what is not given is kept.
            var changed = await cli.RunAsync("authorize", "bob", "--role", "service,client");
            Assert.True(changed.Exit == 0, changed.Stderr);
            Assert.Contains("roles=client,service domains=mail", changed.Stdout, StringComparison.Ordinal);

            // The gateway saves last-seen times within about a second of a connection.
            List<JsonElement> peers = [];
            await WaitForAsync(() =>
            {
                var r = cli.RunAsync("peers", "--json").Result;
                peers = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
                return peers.Any(p => p.GetProperty("name").GetString() == "tester" && p.GetProperty("lastSeen").ValueKind == JsonValueKind.String);
            }, "tester's last-seen time");
            Assert.Equal(["tester", "bob", "carol"], peers.Select(p => p.GetProperty("name").GetString()));
            Assert.All(peers, p => Assert.Equal(JsonValueKind.String, p.GetProperty("added").ValueKind));
            Assert.Equal(JsonValueKind.Null, peers.Single(p => p.GetProperty("name").GetString() == "carol").GetProperty("lastSeen").ValueKind);

            var table = await cli.RunAsync("peers");
            Assert.StartsWith("FINGERPRINT", table.Stdout, StringComparison.Ordinal);
            Assert.Contains("mail", table.Stdout, StringComparison.Ordinal);

            Assert.Equal(0, (await cli.RunAsync("authorize", "--remove", "carol")).Exit);
            Assert.Equal(0, (await cli.RunAsync("authorize", "--remove", bob)).Exit);
            var after = await cli.RunAsync("peers");
            Assert.DoesNotContain("carol", after.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain(bob, after.Stdout, StringComparison.Ordinal);
            Assert.Contains("tester", after.Stdout, StringComparison.Ordinal);
            Assert.Equal(1, (await cli.RunAsync("authorize", "--remove", bob)).Exit);
        }
        finally
        {
            CliProcess.Stop(gateway);
        }
    }

    [Fact]
    public async Task A_broken_authorized_peers_at_reload_keeps_the_old_grants_and_a_removed_peer_is_cut_off_within_a_second()
    {
        using var cli = new CliProcess();
        int port = CliProcess.FreePort();
        string host = $"127.0.0.1:{port}";
        var (gateway, gatewayFp, output) = await cli.StartGatewayWithOutputAsync(port);

        try
        {
            Assert.Equal(0, (await cli.RunAsync("authorize", "--self", "--name", "tester", "--role", "admin")).Exit);
            using var bobId = Transport.Security.PeerIdentity.CreateEphemeral("bob");
            Assert.Equal(0, (await cli.RunAsync("authorize", bobId.Fingerprint.ToString(), "--name", "bob")).Exit);
            Assert.Equal(0, (await cli.RunAsync("trust", host, "--yes")).Exit);
            await using var bob = new Client.GatehouseClient(new Transport.Connections.Endpoint("127.0.0.1", port), new Client.ClientOptions
            {
                Identity = bobId,
                Pins = Client.ClientOptions.PinTo(Transport.Security.Fingerprint.Parse(gatewayFp)),
                Connection = Transport.Connections.ConnectionOptions.Default with { MaxRetries = 0 },
            });
            var whoami = new Client.CallRequest("whoami") { Domain = "gatehouse" };
            await WaitForAsync(() => bob.CallAsync(whoami).Result.Status.IsSuccess, "bob's whoami");

            string path = Path.Combine(cli.StateDir, "authorized_peers");
            string good = File.ReadAllText(path);
            File.AppendAllText(path, "SHA256:" + new string('Z', 43) + " zed roles=wizard\n");
            await WaitForAsync(() => Logged(output, "unknown role 'wizard'"), "the reload error in the log");
            int lineNo = good.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length + 1;
            Assert.True(Logged(output, $"authorized_peers:{lineNo}:"), output.ToString());
            Assert.True((await bob.CallAsync(whoami)).Status.IsSuccess, "the old grants stay in force");
            var refused = await cli.RunAsync("authorize", "SHA256:" + new string('C', 43), "--name", "carol");
            Assert.Equal(78, refused.Exit);

            // Fixed by removing bob (and the bad line): bob's live connection ends within about a second.
            File.WriteAllLines(path, good.Split('\n').Where(l => !l.Contains(" bob ", StringComparison.Ordinal)));
            var removedAt = DateTime.UtcNow;
            await WaitForAsync(() =>
            {
                try
                {
                    return !bob.CallAsync(whoami).Result.Status.IsSuccess;
                }
                catch (AggregateException ex) when (ex.InnerException is Transport.Connections.ConnectException or Transport.Mux.ConnectionClosedException)
                {
                    return true; // refused at connect: the grant is gone
                }
            }, "bob cut off", seconds: 5);
            Assert.True(DateTime.UtcNow - removedAt < TimeSpan.FromSeconds(3), $"took {(DateTime.UtcNow - removedAt).TotalSeconds:0.0} s");
            Assert.False(gateway.HasExited);
        }
        finally
        {
            CliProcess.Stop(gateway);
        }
    }

    [Fact]
    public async Task A_rotated_gateway_key_rolls_over_for_connected_clients_and_services_and_an_offline_client_is_refused()
    {
        using var cli = new CliProcess();
        using var offline = new CliProcess { StateDir = cli.StateDir };
        int port = CliProcess.FreePort();
        string host = $"127.0.0.1:{port}";
        var (gateway, oldFp, gatewayOut) = await cli.StartGatewayWithOutputAsync(port);

        System.Diagnostics.Process? service = null;
        try
        {
            Assert.Equal(0, (await cli.RunAsync("authorize", "--self", "--name", "tester", "--role", "admin")).Exit);
            Assert.Equal(0, (await offline.RunAsync("authorize", "--self", "--name", "offline")).Exit);
            string svcDir = Path.Combine(cli.Root, "svc");
            using (var svcId = Transport.Security.PeerIdentity.LoadOrCreate(svcDir, "svc", out _))
            {
                Assert.Equal(0, (await cli.RunAsync("authorize", svcId.Fingerprint.ToString(), "--name", "demo", "--role", "service", "--domain", "demo")).Exit);
            }

            Assert.Equal(0, (await cli.RunAsync("trust", host, "--yes")).Exit);
            Assert.Equal(0, (await offline.RunAsync("trust", host, "--yes")).Exit);
            await Task.Delay(1200);
            (service, var serviceOut) = await cli.StartAsync(cli.StartInfo("dotnet", [CliProcess.DemoDll, "--identity", svcDir, "--instance", "A", "--gateway", $"{host}={oldFp}"]),
                l => l.StartsWith("attached", StringComparison.Ordinal));
            var echo = await cli.RunAsync("call", host, "--domain", "demo", "echo", "before");
            Assert.True(echo.Exit == 0, echo.Stderr);

            var rotate = await cli.RunAsync("rotate-identity", "--grace", "1h");
            Assert.True(rotate.Exit == 0, rotate.Stderr);
            string newFp = rotate.Stdout.Split('\n').First(l => l.StartsWith("next key ", StringComparison.Ordinal))["next key ".Length..].Trim();
            Assert.Contains(newFp, (await cli.RunAsync("rotate-identity", "--status")).Stdout, StringComparison.Ordinal);

            // Announced within a second to the attached service, and to each client that connects.
            await WaitForAsync(() => Logged(serviceOut, "announced its next key " + newFp), "the service recording the successor");
            await WaitForAsync(() =>
            {
                cli.RunAsync("call", host, "--domain", "demo", "echo", "during").Wait();
                return KnownHostsLine(cli, host) == $"{host} {oldFp} next={newFp}";
            }, "the client recording the successor");

            Assert.Equal(0, (await cli.RunAsync("rotate-identity", "--commit")).Exit);
            await WaitForAsync(() => Logged(gatewayOut, "now presenting " + newFp), "the takeover");
            Assert.False(gateway.HasExited);

            // The client that saw the announcement accepts the new key silently and pins only it.
            var after = await cli.RunAsync("call", host, "--domain", "demo", "echo", "after");
            Assert.True(after.Exit == 0, after.Stderr);
            Assert.Equal("after\n", after.Stdout);
            Assert.Equal($"{host} {newFp}", KnownHostsLine(cli, host));

            // The client that was offline the whole time is refused loudly.
            var stale = await offline.RunAsync("call", host, "--domain", "demo", "echo", "x");
            Assert.Equal(255, stale.Exit);
            Assert.Contains("not the pinned fingerprint", stale.Stderr, StringComparison.Ordinal);

            // The service's connection survived the switch; after a gateway restart it reattaches to the new key.
            CliProcess.Stop(gateway);
            (gateway, string restartedFp, gatewayOut) = await cli.StartGatewayWithOutputAsync(port);
            Assert.Equal(newFp, restartedFp);
            await WaitForAsync(() => Logged(serviceOut, "now presents " + newFp), "the service pinning the new key", seconds: 60);
            await WaitForAsync(() => cli.RunAsync("call", host, "--domain", "demo", "echo", "again").Result.Exit == 0, "a call through the reattached service", seconds: 60);
        }
        finally
        {
            if (service is not null)
            {
                CliProcess.Stop(service);
            }

            CliProcess.Stop(gateway);
        }
    }

    [Fact]
    public async Task A_client_rotates_its_own_key_and_the_gateway_moves_its_grant()
    {
        using var cli = new CliProcess();
        int port = CliProcess.FreePort();
        string host = $"127.0.0.1:{port}";
        var (gateway, _) = await cli.StartGatewayAsync(port);
        try
        {
            Assert.Equal(0, (await cli.RunAsync("authorize", "--self", "--name", "tester", "--role", "admin", "--domain", "gatehouse,demo")).Exit);
            Assert.Equal(0, (await cli.RunAsync("trust", host, "--yes")).Exit);
            await WaitForAsync(() => cli.RunAsync("call", host, "--domain", "gatehouse", "whoami").Result.Exit == 0, "whoami");
            string oldFp = (await cli.RunAsync("id")).Stdout.Split(new[] { ' ', '\n' }, StringSplitOptions.RemoveEmptyEntries).First(w => w.StartsWith("SHA256:", StringComparison.Ordinal));

            var rotate = await cli.RunAsync("rotate-identity", "--peer", host);
            Assert.True(rotate.Exit == 0, rotate.Stdout + rotate.Stderr);
            string newFp = (await cli.RunAsync("id")).Stdout.Split(new[] { ' ', '\n' }, StringSplitOptions.RemoveEmptyEntries).First(w => w.StartsWith("SHA256:", StringComparison.Ordinal));
            Assert.NotEqual(oldFp, newFp);

            var peers = (await cli.RunAsync("peers")).Stdout;
            Assert.Contains(newFp, peers, StringComparison.Ordinal);
            Assert.DoesNotContain(oldFp, peers, StringComparison.Ordinal);
            Assert.Contains("gatehouse,demo", peers, StringComparison.Ordinal);
            await WaitForAsync(() => cli.RunAsync("call", host, "--domain", "gatehouse", "whoami").Result.Stdout.Contains(newFp, StringComparison.Ordinal), "whoami with the new key");
        }
        finally
        {
            CliProcess.Stop(gateway);
        }
    }
}
