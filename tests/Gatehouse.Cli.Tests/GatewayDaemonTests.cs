using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Gatehouse.Cli.Tests;

/// <summary>The gateway as a daemon (real processes): systemd notifications, configuration reload, log formats.</summary>
public sealed partial class GatewayDaemonTests
{
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d ")]
    private static partial Regex IsoTimestampPrefix();

    [Fact]
    public async Task Ready_is_sent_once_the_ports_are_bound_and_stopping_when_sigterm_starts_the_drain()
    {
        using var cli = new CliProcess();
        int port = CliProcess.FreePort();
        string socketPath = Path.Combine(cli.Root, "notify");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(socketPath));
        var psi = cli.StartInfo("dotnet", [CliProcess.CliDll, "gateway", "--listen", $"127.0.0.1:{port}"]);
        psi.Environment["NOTIFY_SOCKET"] = socketPath;
        using var gateway = Process.Start(psi)!;
        var output = new StringBuilder();
        gateway.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        gateway.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        gateway.BeginOutputReadLine();
        gateway.BeginErrorReadLine();
        try
        {
            string ready = await ReceiveAsync(notify, output);
            // At the moment READY arrives, TCP accepts and the UDP port of membership is taken.
            using (var tcp = new TcpClient())
            {
                await tcp.ConnectAsync(IPAddress.Loopback, port);
            }

            using (var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
            {
                Assert.Throws<SocketException>(() => udp.Bind(new IPEndPoint(IPAddress.Loopback, port)));
            }

            Assert.StartsWith("READY=1\n", ready, StringComparison.Ordinal);
            Assert.Contains($"STATUS=listening on 127.0.0.1:{port}", ready, StringComparison.Ordinal);
            Assert.Contains($"MAINPID={gateway.Id}", ready, StringComparison.Ordinal);

            Assert.Equal(0, Kill(gateway.Id, 15));
            string stopping = await ReceiveAsync(notify, output);
            Assert.StartsWith("STOPPING=1", stopping, StringComparison.Ordinal);
            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await gateway.WaitForExitAsync(exit.Token);
            Assert.Equal(0, gateway.ExitCode);
        }
        finally
        {
            CliProcess.Stop(gateway);
        }
    }

    [Fact]
    public async Task Exec_commands_do_not_inherit_the_notify_socket()
    {
        using var cli = new CliProcess();
        int port = CliProcess.FreePort();
        string conf = Path.Combine(cli.Root, "remctl.conf");
        File.WriteAllText(conf, "show env /usr/bin/env ANYUSER\n");
        string socketPath = Path.Combine(cli.Root, "notify");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(socketPath));
        var psi = cli.StartInfo("dotnet", [CliProcess.CliDll, "gateway", "--listen", $"127.0.0.1:{port}", "--commands", conf]);
        psi.Environment["NOTIFY_SOCKET"] = socketPath;
        psi.Environment["GATEHOUSE_TEST_MARKER"] = "inherited";
        var (gateway, output) = await cli.StartAsync(psi, l => l.StartsWith("listening", StringComparison.Ordinal));
        Assert.StartsWith("READY=1", await ReceiveAsync(notify, output), StringComparison.Ordinal);
        Assert.Equal(0, (await cli.RunAsync("authorize", "--self", "--name", "tester")).Exit);
        Assert.Equal(0, (await cli.RunAsync("trust", $"127.0.0.1:{port}", "--yes")).Exit);
        await Task.Delay(1200); // the gateway re-reads the authorized file at most once a second
        var env = await cli.RunAsync("call", $"127.0.0.1:{port}", "show", "env");
        Assert.True(env.Exit == 0, $"exit {env.Exit}: {env.Stderr}");
        Assert.Contains("GATEHOUSE_TEST_MARKER=inherited", env.Stdout, StringComparison.Ordinal); // the environment is inherited...
        Assert.DoesNotContain("NOTIFY_SOCKET", env.Stdout, StringComparison.Ordinal); // ...but not the socket
        CliProcess.Stop(gateway);
    }

    private static async Task<string> ReceiveAsync(Socket socket, StringBuilder output)
    {
        var buffer = new byte[4096];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            return Encoding.UTF8.GetString(buffer, 0, n);
        }
        catch (OperationCanceledException)
        {
            lock (output)
            {
                throw new TimeoutException("no notification within 120 s; gateway output:\n" + output);
            }
        }
    }

    [Fact]
    public async Task Sighup_rereads_the_file_applies_the_log_level_and_names_what_needs_a_restart()
    {
        using var cli = new CliProcess();
        int port = CliProcess.FreePort();
        string path = Path.Combine(cli.Root, "gateway.json");
        File.WriteAllText(path, $$"""{ "Listen": ["127.0.0.1:{{port}}"], "QueueLength": 10 }""");
        // SIGHUP back to its default first (a test run under nohup passes it down ignored).
        var psi = cli.StartInfo("env", ["--default-signal=HUP", "dotnet", CliProcess.CliDll, "gateway", "--config", path]);
        var (gateway, output) = await cli.StartAsync(psi, l => l.StartsWith("listening", StringComparison.Ordinal));

        File.WriteAllText(path, $$"""{ "Listen": ["127.0.0.1:{{port}}"], "QueueLength": 20, "Logging": { "Level": "Debug" } }""");
        Assert.Equal(0, Kill(gateway.Id, 1));
        await WaitForAsync(output, $"gatehouse: QueueLength changed to 20 ({path}:QueueLength): needs a restart; still 10");
        await WaitForAsync(output, $"gatehouse: Logging:Level is now Debug ({path}:Logging:Level)");

        File.WriteAllText(path, """{ "QueueLength": "many" }""");
        Assert.Equal(0, Kill(gateway.Id, 1));
        await WaitForAsync(output, $"gatehouse: configuration not reloaded, running configuration kept: {path}:QueueLength: 'many' is not a whole number");
        Assert.False(gateway.HasExited);
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Loopback, port);
        }

        CliProcess.Stop(gateway);
    }

    private static async Task WaitForAsync(StringBuilder output, string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            lock (output)
            {
                if (output.ToString().Contains(text, StringComparison.Ordinal))
                {
                    return;
                }
            }

            await Task.Delay(100);
        }

        lock (output)
        {
            Assert.Fail($"not seen within 60 s: {text}\noutput:\n{output}");
        }
    }

    [Fact]
    public async Task Text_log_lines_start_with_an_iso_8601_timestamp_with_offset()
    {
        using var cli = new CliProcess();
        int port = CliProcess.FreePort();
        var (gateway, output) = await cli.StartAsync(
            cli.StartInfo("dotnet", [CliProcess.CliDll, "gateway", "--listen", $"127.0.0.1:{port}"]),
            l => l.Contains("info:", StringComparison.Ordinal));
        string line;
        lock (output)
        {
            line = output.ToString().Split('\n').First(l => l.Contains("info:", StringComparison.Ordinal));
        }

        Assert.Matches(IsoTimestampPrefix(), line);
        var stamp = DateTimeOffset.Parse(line[..line.IndexOf(' ', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(DateTimeOffset.Now - stamp, TimeSpan.FromMinutes(-1), TimeSpan.FromMinutes(10));
        CliProcess.Stop(gateway);
    }

    [Fact]
    public async Task Json_log_format_writes_one_json_object_per_line_with_an_iso_timestamp()
    {
        using var cli = new CliProcess();
        int port = CliProcess.FreePort();
        var (gateway, output) = await cli.StartAsync(
            cli.StartInfo("dotnet", [CliProcess.CliDll, "gateway", "--listen", $"127.0.0.1:{port}", "--log-format", "json"]),
            l => l.StartsWith('{'));
        string line;
        lock (output)
        {
            line = output.ToString().Split('\n').First(l => l.StartsWith('{'));
        }

        using var doc = JsonDocument.Parse(line);
        string timestamp = doc.RootElement.GetProperty("Timestamp").GetString()!;
        Assert.Matches(IsoTimestampPrefix(), timestamp + " ");
        Assert.Equal("Information", doc.RootElement.GetProperty("LogLevel").GetString());
        Assert.StartsWith("Gatehouse", doc.RootElement.GetProperty("Category").GetString(), StringComparison.Ordinal);
        CliProcess.Stop(gateway);
    }

    [Fact]
    public async Task The_systemd_unit_passes_systemd_analyze_verify_without_a_warning()
    {
        using var cli = new CliProcess();
        string unit = File.ReadAllText(Path.Combine(CliProcess.RepoRoot, "packaging", "gatehouse.service"));
        Assert.Contains("\nType=notify\n", unit, StringComparison.Ordinal);
        Assert.Contains("\nExecReload=/bin/kill -HUP $MAINPID\n", unit, StringComparison.Ordinal);
        Assert.Contains("\nStateDirectory=gatehouse\n", unit, StringComparison.Ordinal);
        Assert.Contains("\nExecStart=/usr/bin/gatehouse gateway --config /etc/gatehouse/gateway.json\n", unit, StringComparison.Ordinal);
        Assert.True(File.Exists("/usr/bin/systemd-analyze"), "systemd-analyze is needed (apt-get install systemd)");

        // verify checks that ExecStart's program exists: point it at a wrapper of the built command.
        string wrapper = Path.Combine(cli.Root, "gatehouse");
        File.WriteAllText(wrapper, $"#!/bin/sh\nexec dotnet {CliProcess.CliDll} \"$@\"\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string copy = Path.Combine(cli.Root, "gatehouse.service");
        File.WriteAllText(copy, unit.Replace("/usr/bin/gatehouse", wrapper, StringComparison.Ordinal));
        var (exit, stdout, stderr) = await RunAsync("/usr/bin/systemd-analyze", "verify", copy);
        Assert.True(exit == 0 && stderr.Length == 0 && stdout.Length == 0, $"systemd-analyze verify: exit {exit}\n{stdout}{stderr}");

        // And it does complain about a broken unit (so the check above means something).
        File.WriteAllText(copy, unit.Replace("/usr/bin/gatehouse", wrapper, StringComparison.Ordinal).Replace("Type=notify", "Type=notfy", StringComparison.Ordinal));
        var broken = await RunAsync("/usr/bin/systemd-analyze", "verify", copy);
        Assert.Contains("notfy", broken.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_socket_units_pass_systemd_analyze_verify_with_the_service()
    {
        using var cli = new CliProcess();
        string wrapper = Path.Combine(cli.Root, "gatehouse");
        File.WriteAllText(wrapper, $"#!/bin/sh\nexec dotnet {CliProcess.CliDll} \"$@\"\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var files = new List<string>();
        foreach (string name in new[] { "gatehouse.service", "gatehouse.socket", "gatehouse-remctl.socket" })
        {
            string copy = Path.Combine(cli.Root, name);
            File.WriteAllText(copy, File.ReadAllText(Path.Combine(CliProcess.RepoRoot, "packaging", name)).Replace("/usr/bin/gatehouse", wrapper, StringComparison.Ordinal));
            files.Add(copy);
        }

        Assert.Contains("\nFileDescriptorName=remctl\n", File.ReadAllText(files[2]), StringComparison.Ordinal);
        var (exit, stdout, stderr) = await RunAsync("/usr/bin/systemd-analyze", ["verify", .. files]);
        Assert.True(exit == 0 && stderr.Length == 0 && stdout.Length == 0, $"systemd-analyze verify: exit {exit}\n{stdout}{stderr}");
    }

    [Fact]
    public async Task Under_socket_activation_the_gateway_serves_on_the_sockets_systemd_passed_instead_of_its_listen_addresses()
    {
        Assert.True(File.Exists("/usr/bin/systemd-socket-activate"), "systemd-socket-activate is needed (apt-get install systemd)");
        using var cli = new CliProcess();
        int passed = CliProcess.FreePort(), configured = CliProcess.FreePort();
        string host = $"127.0.0.1:{passed}";
        Assert.Equal(0, (await cli.RunAsync("authorize", "--self", "--name", "tester", "--role", "admin")).Exit);
        // systemd-socket-activate holds the port and starts the gateway at the first connection,
        // passing the listening socket as descriptor 3 named "gateway" (LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES).
        // It gives the program a clean environment: pass on what the test's gateway needs (its state
        // directory above all: without it a root gateway would use /var/lib/gatehouse).
        var psi = cli.StartInfo("/usr/bin/systemd-socket-activate", []);
        psi.ArgumentList.Add("-l");
        psi.ArgumentList.Add(host);
        psi.ArgumentList.Add("--fdname=gateway");
        foreach (string name in new[] { "GATEHOUSE_STATE_DIR", "GATEHOUSE_CONFIG_DIR", "HOME", "PATH", "DOTNET_ROOT", "DOTNET_NOLOGO" })
        {
            if (psi.Environment.TryGetValue(name, out string? value) && value is not null)
            {
                psi.ArgumentList.Add($"-E{name}={value}");
            }
        }

        string dotnet = (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':').Select(d => Path.Combine(d, "dotnet")).First(File.Exists);
        foreach (string arg in new[] { dotnet, CliProcess.CliDll, "gateway", "--listen", $"127.0.0.1:{configured}" })
        {
            psi.ArgumentList.Add(arg);
        }

        var (activator, output) = await cli.StartAsync(psi, l => l.Contains("Listening on", StringComparison.Ordinal));
        string Text()
        {
            lock (output)
            {
                return output.ToString(); // appended to under this lock by the output readers
            }
        }

        var trust = await cli.RunAsync("trust", host, "--yes");
        Assert.True(trust.Exit == 0, trust.Stderr + Text());
        var deadline = DateTime.UtcNow.AddSeconds(30);
        // The banner's line itself: the log line "Gateway listening on ..." can come before the banner is printed.
        while (!Text().Contains($"listening    127.0.0.1:{passed} ", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        string banner = Text();
        Assert.Contains($"listening    127.0.0.1:{passed} ", banner, StringComparison.Ordinal);
        Assert.Contains($"identity     {Path.Combine(cli.StateDir, "identity.crt")}", banner, StringComparison.Ordinal);
        var call = await cli.RunAsync("call", host, "--domain", "gatehouse", "status");
        Assert.True(call.Exit == 0, call.Stderr);
        // The configured address was not bound: the passed socket replaced it.
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, configured);
        probe.Start();
        probe.Stop();
        // The variables are not passed on to what the gateway starts (checked by the exec backend's tests); the gateway itself stops cleanly.
        CliProcess.Stop(activator);
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }
}
