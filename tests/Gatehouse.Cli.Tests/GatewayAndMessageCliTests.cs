using System.Net;
using System.Net.Sockets;
using Gatehouse.Functional.Tests;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Service;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;

namespace Gatehouse.Cli.Tests;

/// <summary>
/// Issue 19's "seen" items on the gateway side and in single-line messages, each with the real
/// command against real gateways: one clear line and a documented exit status, never a stack trace.
/// </summary>
public sealed class GatewayAndMessageCliTests : IDisposable
{
    private readonly CliProcess _cli = new();

    public void Dispose() => _cli.Dispose();

    private static void AssertOneLine(string stderr)
    {
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task A_bare_port_after_listen_listens_on_every_address()
    {
        // Seen: "gateway --listen 17347" read the port as the IPv4 address 0.0.67.195 and died with a stack trace.
        int port = CliProcess.FreePort();
        var (gateway, output) = await _cli.StartAsync(_cli.StartInfo("dotnet", [CliProcess.CliDll, "gateway", "--listen", port.ToString()]), l => l.StartsWith("listening", StringComparison.Ordinal));
        lock (output)
        {
            Assert.Contains($"listening    [::]:{port} ", output.ToString(), StringComparison.Ordinal);
        }

        var trust = await _cli.RunAsync("trust", $"127.0.0.1:{port}", "--yes");
        Assert.True(trust.Exit == 0, trust.Stderr);
        CliProcess.Stop(gateway);
    }

    [Fact]
    public async Task A_port_in_use_is_one_line_naming_the_address_without_https()
    {
        // Seen: a 2 KB Kestrel trace and "https://" in a message about a non-HTTP listener.
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var run = await _cli.RunAsync("gateway", "--listen", $"127.0.0.1:{port}");
        Assert.Equal(1, run.Exit);
        Assert.StartsWith($"gatehouse gateway: cannot listen on 127.0.0.1:{port}: address already in use", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", run.Stderr, StringComparison.Ordinal);
        AssertOneLine(run.Stderr);
    }

    [Fact]
    public async Task An_identity_key_readable_by_others_is_one_line_and_exit_78()
    {
        // Seen: "gatehouse id" with the key at mode 0644 died with an unhandled exception.
        Assert.Equal(0, (await _cli.RunAsync("id")).Exit);
        File.SetUnixFileMode(Path.Combine(_cli.ConfigDir, "identity.key"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var run = await _cli.RunAsync("id");
        Assert.Equal(78, run.Exit);
        Assert.Contains("chmod 600", run.Stderr, StringComparison.Ordinal);
        AssertOneLine(run.Stderr);
        var call = await _cli.RunAsync("call", "127.0.0.1:1", "x");
        Assert.Equal(78, call.Exit);
        AssertOneLine(call.Stderr);
    }

    [Theory]
    [InlineData("--deadline", "abc", "gatehouse call: --deadline: 'abc' is not a number of seconds")]
    [InlineData("-u", "soon", "gatehouse call: --deadline: 'soon' is not a number of seconds")]
    [InlineData("--connect-timeout", "x", "gatehouse call: --connect-timeout: 'x' is not a number of seconds")]
    [InlineData("-t", "0", "gatehouse call: --connect-timeout must be more than 0")]
    [InlineData("--retries", "many", "gatehouse call: --retries: 'many' is not a whole number")]
    [InlineData("--deadline", "-1", "gatehouse call: --deadline must be more than 0")]
    public async Task A_bad_option_value_names_the_option_and_never_a_type(string option, string value, string expected)
    {
        // Seen: "--deadline abc" printed a .NET type name and the whole help; "--deadline -1" a stack trace.
        var run = await _cli.RunAsync("call", option, value, "127.0.0.1:1", "version");
        Assert.Equal(64, run.Exit);
        Assert.StartsWith(expected, run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length); // the problem, and where to look
    }

    [Fact]
    public async Task An_unknown_option_is_refused_not_taken_for_the_host()
    {
        // Seen: "call --bogus host ..." said no fingerprint is pinned for --bogus:7340.
        var run = await _cli.RunAsync("call", "--bogus", "host", "version");
        Assert.Equal(64, run.Exit);
        Assert.Equal("gatehouse call: unknown option '--bogus'\nTry 'gatehouse call --help' for the options.\n", run.Stderr);
        var words = await _cli.RunAsync("call", "-w", "n1", "-Z", "version");
        Assert.StartsWith("gatehouse call: unknown option '-Z'", words.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Banner_and_questions_count_in_the_singular()
    {
        // Seen: "(1 peers)" and "Trust these 1 fingerprints?".
        Assert.Equal(0, (await _cli.RunAsync("authorize", "--self", "--name", "tester")).Exit);
        int port = CliProcess.FreePort();
        var (gateway, output) = await _cli.StartAsync(_cli.StartInfo("dotnet", [CliProcess.CliDll, "gateway", "--listen", $"127.0.0.1:{port}"]), l => l.StartsWith("authorized", StringComparison.Ordinal));
        lock (output)
        {
            Assert.Contains(" (1 peer)\n", output.ToString().Replace("\r", "", StringComparison.Ordinal), StringComparison.Ordinal);
        }

        var trust = await _cli.RunWithStdinAsync("n\n", "trust", "-w", $"127.0.0.1:{port}");
        Assert.Contains("Trust this fingerprint? [y/N] ", trust.Stdout, StringComparison.Ordinal);
        Assert.Equal(1, trust.Exit);
        CliProcess.Stop(gateway);
    }

    [Fact]
    public async Task Uptime_reads_as_seconds_not_a_timespan()
    {
        // Seen: uptime "0.00:01:05".
        int port = CliProcess.FreePort();
        Assert.Equal(0, (await _cli.RunAsync("authorize", "--self", "--name", "ops", "--role", "admin")).Exit);
        var (gateway, _) = await _cli.StartGatewayAsync(port);
        Assert.Equal(0, (await _cli.RunAsync("trust", $"127.0.0.1:{port}", "--yes")).Exit);
        var status = await _cli.RunAsync("call", $"127.0.0.1:{port}", "--domain", "gatehouse", "status");
        Assert.True(status.Exit == 0, status.Stderr);
        Assert.Matches(@"(?m)^uptime +\d+ s$", status.Stdout);
        CliProcess.Stop(gateway);
    }

    [Fact]
    public async Task A_zeromq_daemon_that_is_down_is_said_to_be_not_answering_over_tcp_and_ipc()
    {
        // Seen: over ipc:// exit 70 with "Cannot assign requested address"; over tcp:// "Command timed out".
        int dead = CliProcess.FreePort();
        string socket = Path.Combine(_cli.Root, "none.sock");
        string conf = Path.Combine(_cli.Root, "remctl.conf");
        File.WriteAllText(conf, $"ztcp run tcp://127.0.0.1:{dead} type=zeromq timeout=2 ANYUSER\nzipc run ipc://{socket} type=zeromq ANYUSER\n");
        Assert.Equal(0, (await _cli.RunAsync("authorize", "--self", "--name", "tester")).Exit);
        int port = CliProcess.FreePort();
        var (gateway, _) = await _cli.StartAsync(_cli.StartInfo("dotnet", [CliProcess.CliDll, "gateway", "--listen", $"127.0.0.1:{port}", "--commands", conf]), l => l.StartsWith("listening", StringComparison.Ordinal));
        Assert.Equal(0, (await _cli.RunAsync("trust", $"127.0.0.1:{port}", "--yes")).Exit);

        var tcp = await _cli.RunAsync("call", $"127.0.0.1:{port}", "ztcp", "run");
        Assert.Equal(124, tcp.Exit);
        Assert.Equal($"gatehouse: 127.0.0.1:{port}: the ZeroMQ daemon at tcp://127.0.0.1:{dead} is not answering: no reply within 2 s (is it running?) (error 111)\n", tcp.Stderr);
        var ipc = await _cli.RunAsync("call", $"127.0.0.1:{port}", "zipc", "run");
        Assert.Equal(69, ipc.Exit);
        Assert.Equal($"gatehouse: 127.0.0.1:{port}: the ZeroMQ daemon at ipc://{socket} is not answering: nothing accepts connections there (is it running?) (error 102)\n", ipc.Stderr);
        CliProcess.Stop(gateway);
    }

    [Theory]
    [InlineData("ws://127.0.0.1:5555")]
    [InlineData("pgm://eth0;239.192.1.1:5555")]
    public async Task A_zeromq_endpoint_the_backend_cannot_call_is_refused_when_the_file_is_read(string endpoint)
    {
        // Seen: docs/commands.md said ws:// and pgm:// were accepted, docs/zeromq.md tcp:// and ipc:// only; a ws:// line loaded without error.
        string conf = Path.Combine(_cli.Root, "remctl.conf");
        File.WriteAllText(conf, $"z run {endpoint} type=zeromq ANYUSER\n");
        var run = await _cli.RunAsync("gateway", "--listen", $"127.0.0.1:{CliProcess.FreePort()}", "--commands", conf);
        Assert.Equal(1, run.Exit);
        Assert.Contains($"invalid zeromq endpoint {endpoint}: only tcp://HOST:PORT and ipc:///PATH are supported", run.Stderr, StringComparison.Ordinal);
        AssertOneLine(run.Stderr);
    }

    [Fact]
    public async Task A_detached_service_is_said_to_be_not_attached()
    {
        // Seen: a detached service's command answered only "unknown command".
        using var me = PeerIdentity.LoadOrCreate(_cli.ConfigDir, "tester", out _);
        await using var gateway = await TestGateway.StartAsync();
        AuthorizedPeers.Upsert(gateway.Server.Runtime.Options.AuthorizedPath, new PeerGrant(me.Fingerprint, "tester", PeerRoles.Client, []));
        gateway.Server.Runtime.Authorized.Reload();
        new KnownHosts(Path.Combine(_cli.ConfigDir, "known_hosts")).Set(gateway.Endpoint.ToString(), gateway.Server.Fingerprint);
        var service = new GatehouseService(new ServiceOptions
        {
            Identity = gateway.Authorize("svc", PeerRoles.Service, "demo"),
            Gateways = [new GatewayTarget(gateway.Endpoint, gateway.Server.Fingerprint)],
            Discovery = DiscoveryOptions.Off,
        }).Map("demo", "upper", async ctx =>
        {
            await ctx.WriteAsync("UP\n");
            return 0;
        });
        var attached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        service.Attached += _ => attached.TrySetResult();
        using var stop = new CancellationTokenSource();
        var running = service.RunAsync(stop.Token);
        await attached.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal("UP\n", (await _cli.RunAsync("call", gateway.Endpoint.ToString(), "-d", "demo", "upper")).Stdout);

        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(20));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (gateway.Server.Runtime.Routes.HasDomain("demo") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        var run = await _cli.RunAsync("call", gateway.Endpoint.ToString(), "-d", "demo", "upper");
        Assert.Equal(127, run.Exit);
        Assert.Equal($"gatehouse: {gateway.Endpoint}: Unknown command: nothing serves demo/upper: no service for domain demo is attached to this gateway (error 5)\n", run.Stderr);
    }

    [Fact]
    public async Task A_group_after_w_is_a_group_for_trust_too()
    {
        // Seen: "trust -w @gws" printed "Response file not found 'gws'" and the whole help.
        int port = CliProcess.FreePort();
        var (gateway, fp) = await _cli.StartGatewayAsync(port);
        string groups = Path.Combine(_cli.Root, "groups");
        File.WriteAllText(groups, $"gws: 127.0.0.1:{port}\n");
        var trust = await _cli.RunAsync("trust", "-w", "@gws", "--groups", groups, "--yes");
        Assert.True(trust.Exit == 0, trust.Stderr);
        Assert.DoesNotContain("Response file", trust.Stderr, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{port}: {fp}", trust.Stdout, StringComparison.Ordinal);
        Assert.Contains("recorded 1 fingerprint in", trust.Stdout, StringComparison.Ordinal);
        CliProcess.Stop(gateway);
    }
}
