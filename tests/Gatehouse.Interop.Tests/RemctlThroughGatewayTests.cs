using System.Diagnostics;
using System.Text.Json;
using Gatehouse.Client;
using Gatehouse.Protocol;
using Gatehouse.Transport.Connections;
using Gatehouse.Functional.Tests;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Remctl.Tests.Infrastructure;

namespace Gatehouse.Interop.Tests;

/// <summary>
/// Stock remctl clients (Debian remctl-client and python3-pyremctl) against the gateway's remctl
/// port: exec commands, a native service, a ZeroMQ daemon, ACLs, and the Kerberos identity as REMOTE_USER.
/// </summary>
[Collection(KerberosCollection.Name)]
public sealed class RemctlThroughGatewayTests(KerberosRealm realm) : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gatehouse-interop-").FullName;
    private TestGateway _gw = null!;
    private Process? _zmq;
    private int _port;

    public async Task InitializeAsync()
    {
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (string a in new[] { Path.Combine(AppContext.BaseDirectory, "zmq_peer.py"), "--mode", "rep", "--bind", "tcp://127.0.0.1:*" })
        {
            psi.ArgumentList.Add(a);
        }

        _zmq = Process.Start(psi)!;
        string zmqEndpoint = (await _zmq.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)))!.Trim();
        string stdinScript = Path.Combine(_dir, "stdin.sh");
        File.WriteAllText(stdinScript, "#!/bin/sh\nprintf 'stdin:'\ncat\n");
        File.SetUnixFileMode(stdinScript, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string bigScript = Path.Combine(_dir, "big.sh");
        File.WriteAllText(bigScript, "#!/bin/sh\nhead -c \"$2\" /dev/zero | tr '\\0' x\n");
        File.SetUnixFileMode(bigScript, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string conf = Path.Combine(_dir, "remctl.conf");
        File.WriteAllText(conf, $"""
            test env    /usr/bin/env            anyuser:auth
            test big    {bigScript}             anyuser:auth
            test stdin  {stdinScript} stdin=last  anyuser:auth
            test denied /bin/echo               deny:princ:{KerberosRealm.UserPrincipal} anyuser:auth
            echo ALL    /bin/echo               anyuser:auth
            missing ALL /nonexistent/program    anyuser:auth
            zmq  ALL    {zmqEndpoint} type=zeromq anyuser:auth
            """);
        _gw = await TestGateway.StartAsync(o => o with
        {
            CommandsFile = conf,
            // Two native listeners as well as the remctl one: each must report its own port.
            Listen = ["127.0.0.1:0", "127.0.0.1:0"],
            RemctlListen = "127.0.0.1:0",
            RemctlKeytab = realm.HostKeytab,
        });
        _port = _gw.Server.RemctlEndpoint!.Port;
        await _gw.RunServiceAsync(_gw.Authorize("native-svc", PeerRoles.Service, "default"), s => s
            .Map("default", "native", async ctx =>
            {
                await ctx.WriteAsync($"native user={ctx.User} expires={ctx.GetMetadata("REMOTE_EXPIRES") is not null} host={ctx.GetMetadata("REMOTE_HOST")} args={string.Join(',', ctx.Args)}\n");
                await ctx.WriteErrorAsync("native stderr\n");
                return 4;
            }));
    }

    public async Task DisposeAsync()
    {
        await _gw.DisposeAsync();
        if (_zmq is { HasExited: false })
        {
            _zmq.Kill();
            _zmq.WaitForExit(5000);
        }

        _zmq?.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Every_listener_reports_its_own_bound_port_and_the_remctl_port_speaks_remctl()
    {
        var native = _gw.Server.Endpoints;
        Assert.Equal(2, native.Count);
        var ports = native.Select(e => e.Port).Append(_port).ToList();
        Assert.Equal(3, ports.Distinct().Count());
        Assert.DoesNotContain(0, ports);

        // Both native ports accept Gatehouse clients; the remctl port is the one stock remctl reaches.
        var identity = _gw.Authorize("two-ports", PeerRoles.Client);
        foreach (var endpoint in native)
        {
            await using var client = new GatehouseClient(new Endpoint("127.0.0.1", endpoint.Port), _gw.ClientOptions(identity));
            Assert.Equal(CallStatus.Exit(4), (await client.CallAsync(new CallRequest("native"))).Status);
        }

        var result = await Remctl("echo", "hello");
        Assert.Equal("hello\n", result.Stdout);
    }

    private Task<ProcessResult> Remctl(params string[] command) =>
        realm.RunAsync(ProcessRunner.Require("remctl", "remctl-client"), ["-p", _port.ToString(), "localhost", .. command]);

    private async Task<JsonElement> Py(params string[] args)
    {
        var r = await realm.RunAsync("/usr/bin/python3", [Path.Combine(AppContext.BaseDirectory, "pyremctl_client.py"), _port.ToString(), .. args], TimeSpan.FromMinutes(2));
        Assert.True(r.ExitCode == 0, r.ToString());
        return JsonDocument.Parse(r.Stdout).RootElement;
    }

    [Fact]
    public async Task Stock_remctl_runs_an_exec_command_with_the_kerberos_identity()
    {
        var r = await Remctl("test", "env");
        Assert.True(r.ExitCode == 0, r.ToString());
        var env = r.Stdout.Split('\n');
        Assert.Contains($"REMOTE_USER={KerberosRealm.UserPrincipal}", env);
        Assert.Contains("REMOTE_ADDR=127.0.0.1", env);
        Assert.Contains("REMOTE_HOST=localhost", env); // reverse lookup, as remctld
        Assert.Contains("REMCTL_COMMAND=test", env);
        Assert.Contains(env, l => l.StartsWith("REMOTE_EXPIRES=", StringComparison.Ordinal) && long.Parse(l["REMOTE_EXPIRES=".Length..]) > DateTimeOffset.UtcNow.ToUnixTimeSeconds());
    }

    [Fact]
    public async Task A_native_client_gets_remote_host_too_once_its_lookup_is_done()
    {
        var client = _gw.NewClient("host-user", PeerRoles.Client);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var r = await client.CallAsync(new CallRequest("native"));
            if (r.StdoutText.Contains("host=localhost", StringComparison.Ordinal))
            {
                break;
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "REMOTE_HOST never reached the service: " + r.StdoutText);
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Stock_remctl_reaches_a_native_service()
    {
        var r = await Remctl("native", "a", "b");
        Assert.Equal(4, r.ExitCode);
        Assert.Equal($"native user={KerberosRealm.UserPrincipal} expires=True host=localhost args=a,b\n", r.Stdout);
        Assert.Equal("native stderr\n", r.Stderr);
    }

    [Fact]
    public async Task Stock_remctl_reaches_a_zeromq_daemon()
    {
        var r = await Remctl("zmq", "seed");
        Assert.Equal(23, r.ExitCode);
        Assert.Equal("Here is some sample output\nAnother line\n", r.Stdout);
        Assert.Equal("Error output\nMore err\n", r.Stderr);
    }

    [Fact]
    public async Task A_program_that_cannot_be_executed_reports_why_on_stderr_with_status_255_to_remctl_and_native_clients()
    {
        // Stock remctld 3.18 answers exactly this (checked against it with the realm fixture).
        _gw.ExpectErrors(3104); // the operator's mistake is logged, as remctld logs it
        var result = await Remctl("missing", "x");
        Assert.Equal(255, result.ExitCode);
        Assert.Equal("remctld: cannot execute command: No such file or directory\n", result.Stderr);

        var native = await _gw.NewClient("exec-user", PeerRoles.Client).CallAsync(new CallRequest("missing", "x"));
        Assert.Equal(255, native.ExitCode);
        Assert.Equal("remctld: cannot execute command: No such file or directory\n", native.StderrText);
    }

    [Fact]
    public async Task Stdin_last_access_denied_unknown_command_and_large_output()
    {
        var stdin = await Remctl("test", "stdin", "payload");
        Assert.Equal("stdin:payload", stdin.Stdout);

        var denied = await Remctl("test", "denied", "x");
        Assert.Equal(255, denied.ExitCode);
        Assert.Equal("Access denied\n", denied.Stderr);

        var unknown = await Remctl("nosuch", "x");
        Assert.Equal(255, unknown.ExitCode);
        Assert.Equal("Unknown command\n", unknown.Stderr);

        var big = await Remctl("test", "big", "300000");
        Assert.True(big.ExitCode == 0, $"exit {big.ExitCode}: {big.Stderr}");
        Assert.Equal(new string('x', 300000), big.Stdout);
    }

    [Fact]
    public async Task Pyremctl_runs_100_commands_on_one_connection_and_noop()
    {
        var results = await Py("repeat", "100");
        Assert.Equal(100, results.GetArrayLength());
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal($"{i}\n", results[i].GetProperty("stdout").GetString());
            Assert.Equal(0, results[i].GetProperty("status").GetInt32());
        }

        var noop = await Py("noop");
        Assert.True(noop.GetProperty("noop").GetBoolean());
        Assert.Equal("after-noop\n", noop.GetProperty("stdout").GetString());
    }

    [Fact]
    public async Task Gatehouse_remctl_command_calls_stock_remctld()
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "gatehouse.dll");
        var echo = await realm.RunAsync("dotnet", [cli, "remctl", "-p", realm.RemctldPort.ToString(), "localhost", "test", "echo", "hello", "--not-an-option"]);
        Assert.True(echo.ExitCode == 0, echo.ToString());
        Assert.Equal("echo hello --not-an-option\n", echo.Stdout);

        var status = await realm.RunAsync("dotnet", [cli, "remctl", "-p", realm.RemctldPort.ToString(), "localhost", "test", "status", "7"]);
        Assert.Equal(7, status.ExitCode);

        var denied = await realm.RunAsync("dotnet", [cli, "remctl", "-p", realm.RemctldPort.ToString(), "localhost", "test", "denied"]);
        Assert.Equal(255, denied.ExitCode);
        Assert.Contains("Access denied", denied.Stderr, StringComparison.Ordinal);
    }
}
