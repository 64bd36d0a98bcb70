using System.Diagnostics;
using System.Text;
using Gatehouse.Client;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Protocol;

namespace Gatehouse.Functional.Tests;

/// <summary>
/// A gateway serving a real remctl.conf: exec programs, a python3-zmq daemon, ACLs, reload. Runs alone
/// (<see cref="ProcessMemoryCollection"/>): one test measures this process's heap, which tests running
/// beside it would inflate.
/// </summary>
[Collection(ProcessMemoryCollection.Name)]
public sealed class CommandsBackendTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "gatehouse-cmds-" + Guid.NewGuid().ToString("N")[..10]);
    private Process? _zmq;
    private string _zmqEndpoint = string.Empty;

    private string Conf => Path.Combine(_dir, "remctl.conf");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        // A script sees the subcommand as $1 (remctld passes it first); $0 is its path as the kernel ran it.
        Script("args.sh", "#!/bin/sh\nfor a in \"$@\"; do printf '[%s]\\n' \"$a\"; done\n");
        Script("sleep.sh", "#!/bin/sh\nsleep \"$2\"\necho slept\n");
        Script("stdin.sh", "#!/bin/sh\nprintf 'stdin:'\ncat\n");
        Script("both.sh", "#!/bin/sh\necho out\necho err >&2\nexit 3\n");
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (string a in new[] { Path.Combine(AppContext.BaseDirectory, "zmq_peer.py"), "--mode", "rep", "--bind", "tcp://127.0.0.1:*" })
        {
            psi.ArgumentList.Add(a);
        }

        _zmq = Process.Start(psi)!;
        _zmqEndpoint = (await _zmq.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)))?.Trim()
            ?? throw new InvalidOperationException("zmq_peer.py did not start: is Debian's python3-zmq installed? (apt-get install python3-zmq)");
        WriteConf(string.Empty);
    }

    private void Script(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private void WriteConf(string extra) => File.WriteAllText(Conf, $"""
        # test configuration
        test env    /usr/bin/env                    ANYUSER
        test args   {_dir}/args.sh                  ANYUSER
        test stdin  {_dir}/stdin.sh  stdin=last     ANYUSER
        test both   {_dir}/both.sh                  ANYUSER
        test sleep  {_dir}/sleep.sh                 ANYUSER
        test denied /bin/echo \
                    deny:princ:alice anyuser:auth
        zmq  ALL    {_zmqEndpoint}  type=zeromq timeout=5  ANYUSER
        {extra}
        """);

    public Task DisposeAsync()
    {
        if (_zmq is { HasExited: false })
        {
            _zmq.Kill();
            _zmq.WaitForExit(5000);
        }

        _zmq?.Dispose();
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    private async Task<(TestGateway Gw, GatehouseClient Client)> StartAsync()
    {
        var gw = await TestGateway.StartAsync(o => o with { CommandsFile = Conf });
        return (gw, gw.Client(gw.Authorize("alice", PeerRoles.Admin)));
    }

    private static CallRequest Call(params string[] words) => new(words[0], words[1..]);

    [Fact]
    public async Task Exec_lines_get_argv_and_environment_as_remctld_builds_them()
    {
        var (gw, client) = await StartAsync();
        await using var _ = gw;
        var args = await client.CallAsync(Call("test", "args", "a", "b c", ""));
        Assert.Equal(CallStatus.Exit(0), args.Status);
        Assert.Equal("[args]\n[a]\n[b c]\n[]\n", args.StdoutText);

        var env = (await client.CallAsync(Call("test", "env"))).StdoutText.Split('\n');
        Assert.Contains("REMOTE_USER=alice", env);
        Assert.Contains("REMUSER=alice", env);
        Assert.Contains("REMOTE_ADDR=127.0.0.1", env);
        Assert.Contains("REMCTL_COMMAND=test", env);

        var both = await client.CallAsync(Call("test", "both"));
        Assert.Equal(CallStatus.Exit(3), both.Status);
        Assert.Equal("out\n", both.StdoutText);
        Assert.Equal("err\n", both.StderrText);

        var stdin = await client.CallAsync(Call("test", "stdin", "x", "from the last argument"));
        Assert.Equal("stdin:from the last argument", stdin.StdoutText);
    }

    [Fact]
    public async Task Acls_and_unknown_commands_give_remctl_errors()
    {
        var (gw, client) = await StartAsync();
        await using var _ = gw;
        var denied = await client.CallAsync(Call("test", "denied", "hi"));
        Assert.Equal(ErrorCode.Access, denied.Status.ErrorCode);
        var bob = gw.Client(gw.Authorize("bob", PeerRoles.Client));
        Assert.Equal("denied hi\n", (await bob.CallAsync(Call("test", "denied", "hi"))).StdoutText);
        var unknown = await client.CallAsync(Call("test", "nosuch"));
        Assert.Equal(ErrorCode.UnknownCommand, unknown.Status.ErrorCode);
    }

    [Fact]
    public async Task ZeroMq_lines_reach_a_real_libzmq_daemon()
    {
        var (gw, client) = await StartAsync();
        await using var _ = gw;
        var seed = await client.CallAsync(Call("zmq", "seed"));
        Assert.Equal(CallStatus.Exit(23), seed.Status);
        Assert.Equal("Here is some sample output\nAnother line\n", seed.StdoutText);
        Assert.Equal("Error output\nMore err\n", seed.StderrText);

        var echo = await client.CallAsync(Call("zmq", "echo", "arg"));
        string parts = echo.StdoutText;
        Assert.Contains("REMOTE_USER", parts, StringComparison.Ordinal);
        Assert.Contains("alice", parts, StringComparison.Ordinal);
        Assert.Contains("REMCTL_COMMAND", parts, StringComparison.Ordinal);

        var error = await client.CallAsync(Call("zmq", "error", "6"));
        Assert.Equal(ErrorCode.Access, error.Status.ErrorCode);
    }

    [Fact]
    public async Task Metrics_show_exec_spawns_the_zeromq_pool_and_reloads()
    {
        await using var gw = await TestGateway.StartAsync(o => o with { CommandsFile = Conf, DiagnosticsListen = "127.0.0.1:0" });
        await using var client = gw.Client(gw.Authorize("alice", PeerRoles.Admin));
        Assert.Equal(CallStatus.Exit(3), (await client.CallAsync(Call("test", "both"))).Status);
        Assert.Equal(CallStatus.Exit(23), (await client.CallAsync(Call("zmq", "seed"))).Status);
        Assert.True((await client.CallAsync(new CallRequest("reload") { Domain = "gatehouse" })).Succeeded);

        using var http = new HttpClient { BaseAddress = new Uri($"http://{gw.Server.DiagnosticsEndpoint}/") };
        string text = await http.GetStringAsync("metrics");
        string[] lines = text.Split('\n');
        Assert.Contains("gatehouse_exec_spawns_total 1", lines);
        Assert.Contains("gatehouse_exec_processes 0", lines);
        Assert.Contains($"gatehouse_zeromq_calls_total{{endpoint=\"{_zmqEndpoint}\",result=\"all\"}} 1", lines);
        Assert.Contains($"gatehouse_zeromq_sockets{{endpoint=\"{_zmqEndpoint}\",state=\"idle\"}} 1", lines);
        Assert.Contains("gatehouse_config_reloads_total{result=\"ok\"} 1", lines);
        Assert.Contains("gatehouse_requests_total{front_door=\"native\",domain=\"default\",command=\"test\",outcome=\"exit\"} 1", lines);
        Assert.Contains("gatehouse_requests_total{front_door=\"native\",domain=\"default\",command=\"zmq\",outcome=\"exit\"} 1", lines);
    }

    [Fact]
    public async Task Reload_adds_commands_keeps_the_old_configuration_on_errors_and_spares_requests_in_flight()
    {
        var (gw, client) = await StartAsync();
        await using var _ = gw;
        var slow = client.CallAsync(Call("test", "sleep", "2"));

        WriteConf("new hello /bin/echo ANYUSER");
        var reload = await client.CallAsync(new CallRequest("reload") { Domain = "gatehouse" });
        Assert.True(reload.Succeeded, reload.ToString());
        Assert.Equal("hello\n", (await client.CallAsync(Call("new", "hello"))).StdoutText);

        WriteConf("broken line with bad=option ANYUSER");
        var bad = await client.CallAsync(new CallRequest("reload") { Domain = "gatehouse" });
        Assert.Equal(ErrorCode.Internal, bad.Status.ErrorCode);
        Assert.Contains("remctl.conf:", bad.Status.Message, StringComparison.Ordinal);
        Assert.Equal("hello\n", (await client.CallAsync(Call("new", "hello"))).StdoutText);

        var slept = await slow;
        Assert.Equal(CallStatus.Exit(0), slept.Status);
        Assert.Equal("slept\n", slept.StdoutText);
    }

    [Fact]
    public async Task Native_services_and_configured_commands_coexist_in_the_default_domain()
    {
        var (gw, client) = await StartAsync();
        await using var _ = gw;
        await gw.RunServiceAsync(gw.Authorize("svc", PeerRoles.Service, "default"), s => s
            .Map("default", "native", async ctx => { await ctx.WriteAsync($"native {string.Join(',', ctx.Args)}"); return 0; }));
        Assert.Equal("native a,b", (await client.CallAsync(Call("native", "a", "b"))).StdoutText);
        Assert.Equal("[args]\n", (await client.CallAsync(Call("test", "args"))).StdoutText);
    }

    [Fact]
    public async Task Slow_reader_of_64_MiB_exec_output_blocks_the_program_and_gets_every_byte()
    {
        var (gw, client) = await StartAsync();
        await using var _ = gw;
        WriteConf("big ALL /usr/bin/head ANYUSER");
        await client.CallAsync(new CallRequest("reload") { Domain = "gatehouse" });
        long before = GC.GetTotalMemory(forceFullCollection: true);
        await using var call = await client.StartCallAsync(Call("big", "-c", "67108864", "/dev/zero"));
        await Task.Delay(2000); // not reading: the program must be blocked on its pipe
        long during = GC.GetTotalMemory(forceFullCollection: true);
        long received = 0;
        await foreach (var chunk in call.ReadOutputAsync())
        {
            received += chunk.Data.Length;
        }

        Assert.Equal(CallStatus.Exit(0), await call.Completion);
        Assert.Equal(64L * 1024 * 1024, received);
        // Everything held for the stalled call (gateway and client buffers, in this one process) stays far below 64 MiB.
        Assert.True(during - before < 16L * 1024 * 1024, $"heap grew by {(during - before) / 1024} KiB while the reader was stalled");
    }
}

/// <summary>Tests that measure the whole process's memory: no other test runs at the same time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessMemoryCollection
{
    public const string Name = "process memory";
}
