using System.Text.RegularExpressions;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace Gatehouse.Cli.Tests;

public class CliTests
{
    [Fact]
    public async Task A_group_name_after_w_is_a_group_not_a_response_file()
    {
        using var cli = new CliProcess();
        int port = CliProcess.FreePort();
        var (_, fp) = await cli.StartGatewayAsync(port);
        string host = $"127.0.0.1:{port}";
        var (_, id, _) = await cli.RunAsync("id");
        Assert.Equal(0, (await cli.RunAsync("authorize", id.Trim(), "--name", "tester")).Exit);
        Assert.Equal(0, (await cli.RunAsync("trust", host, "--fingerprint", fp)).Exit);
        string groups = Path.Combine(cli.Root, "groups");
        File.WriteAllText(groups, $"web: {host}\n");

        // System.CommandLine used to read '@web' as a response file: "Response file not found 'web'".
        var call = await cli.RunAsync("call", "-w", "@web", "--groups", groups, "--domain", "gatehouse", "whoami");
        Assert.True(call.Exit == 0, $"exit {call.Exit}: {call.Stdout} {call.Stderr}");
        Assert.Contains($"{host}: tester ", call.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Response file", call.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Walkthrough_authorize_trust_call_and_exit_codes()
    {
        using var cli = new CliProcess();
        int port = CliProcess.FreePort();
        var (gateway, fp) = await cli.StartGatewayAsync(port);
        string host = $"127.0.0.1:{port}";

        var (idExit, id, idErr) = await cli.RunAsync("id");
        Assert.True(idExit == 0, $"gatehouse id exited {idExit}: {id} {idErr}");
        Assert.Matches("^SHA256:[A-Za-z0-9+/]{43}$", id.Trim());

        // Not trusted yet: refused before anything is sent, with the fix named.
        var untrusted = await cli.RunAsync("call", host, "--domain", "gatehouse", "whoami");
        Assert.Equal(255, untrusted.Exit);
        Assert.Contains("gatehouse trust", untrusted.Stderr, StringComparison.Ordinal);

        var trust = await cli.RunAsync("trust", host, "--fingerprint", fp);
        Assert.Equal(0, trust.Exit);
        Assert.Contains(fp, trust.Stdout, StringComparison.Ordinal);

        // Trusted but not authorized: the gateway says how to authorize.
        var unauthorized = await cli.RunAsync("call", host, "--domain", "gatehouse", "whoami");
        Assert.Equal(255, unauthorized.Exit);
        Assert.Contains("gatehouse authorize " + id.Trim(), unauthorized.Stderr, StringComparison.Ordinal);

        var auth = await cli.RunAsync("authorize", id.Trim(), "--name", "tester", "--role", "client");
        Assert.Equal(0, auth.Exit);
        await Task.Delay(1200); // the gateway re-reads the authorized file at most once a second
        var who = await cli.RunAsync("call", host, "--domain", "gatehouse", "whoami");
        Assert.Equal(0, who.Exit);
        Assert.StartsWith("tester roles=client", who.Stdout, StringComparison.Ordinal);

        var denied = await cli.RunAsync("call", host, "--domain", "gatehouse", "status");
        Assert.Equal(77, denied.Exit);
        Assert.Contains("admin role", denied.Stderr, StringComparison.Ordinal);

        var unknown = await cli.RunAsync("call", host, "nosuch", "--looks-like-an-option");
        Assert.Equal(127, unknown.Exit);
        Assert.Contains("default/nosuch", unknown.Stderr, StringComparison.Ordinal);
        CliProcess.Stop(gateway);
    }

    [Fact]
    public async Task A_gateway_whose_fingerprint_changed_is_refused_loudly()
    {
        using var cli = new CliProcess();
        int port = CliProcess.FreePort();
        var (first, fp1) = await cli.StartGatewayAsync(port);
        Assert.Equal(0, (await cli.RunAsync("trust", $"127.0.0.1:{port}", "--yes")).Exit);
        CliProcess.Stop(first);

        cli.StateDir = Path.Combine(cli.Root, "state2"); // a new identity on the same address
        var (second, fp2) = await cli.StartGatewayAsync(port);
        Assert.NotEqual(fp1, fp2);
        var call = await cli.RunAsync("call", $"127.0.0.1:{port}", "--domain", "gatehouse", "whoami");
        Assert.Equal(255, call.Exit);
        Assert.Contains("FINGERPRINT HAS CHANGED", call.Stderr, StringComparison.Ordinal);
        Assert.Contains(fp2, call.Stderr, StringComparison.Ordinal);

        // trust shows the change and records nothing without confirmation.
        var trust = await cli.RunWithStdinAsync("", "trust", $"127.0.0.1:{port}");
        Assert.NotEqual(0, trust.Exit);
        Assert.Contains("FINGERPRINT HAS CHANGED", trust.Stderr, StringComparison.Ordinal);
        Assert.Contains(fp1, File.ReadAllText(Path.Combine(cli.ConfigDir, "known_hosts")), StringComparison.Ordinal);
        CliProcess.Stop(second);
    }

    [Fact]
    public async Task Readme_gives_exactly_two_setup_commands_that_work()
    {
        string readme = File.ReadAllText(Path.Combine(CliProcess.RepoRoot, "README.md"));
        var firstBlock = Regex.Match(readme, "```sh\\n(.*?)```", RegexOptions.Singleline).Groups[1].Value;
        var commands = firstBlock.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('#')[0].Trim()).ToArray();
        Assert.Equal(2, commands.Length);
        Assert.Equal("dotnet run --project src/Gatehouse.Cli -- gateway", commands[0]);
        Assert.Equal("./test.sh", commands[1]);
        Assert.Contains("exec ./test.sh", File.ReadAllText(Path.Combine(CliProcess.RepoRoot, ".ci", "run")), StringComparison.Ordinal);

        // Run the first command as written (it listens on the default port 7340).
        using var cli = new CliProcess();
        var psi = cli.StartInfo("bash", ["-c", "exec " + commands[0]]);
        var (gateway, output) = await cli.StartAsync(psi, l => l.StartsWith("listening", StringComparison.Ordinal), TimeSpan.FromMinutes(3));
        string text;
        lock (output)
        {
            text = output.ToString();
        }

        Assert.Matches("fingerprint +SHA256:", text);
        Assert.Contains("7340", text, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(cli.StateDir, "identity.key")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(cli.StateDir, "identity.key")));
        var trust = await cli.RunAsync("trust", "127.0.0.1:7340", "--yes");
        Assert.Equal(0, trust.Exit);
        CliProcess.Stop(gateway);
    }
}

public class ReloadTests
{
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    [Fact]
    public async Task Sighup_reloads_commands_without_dropping_the_connection_or_a_running_command()
    {
        using var cli = new CliProcess();
        int port = CliProcess.FreePort();
        string conf = Path.Combine(cli.Root, "remctl.conf");
        string sleeper = Path.Combine(cli.Root, "sleeper.sh");
        File.WriteAllText(sleeper, "#!/bin/sh\nsleep \"$2\"\necho slept\n");
        File.SetUnixFileMode(sleeper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(conf, $"slow run {sleeper} ANYUSER\n");
        // SIGHUP back to its default first: a test run started under nohup passes SIGHUP down ignored,
        // and .NET leaves a signal that was ignored at start ignored (as nohup asks).
        var psi = cli.StartInfo("env", ["--default-signal=HUP", "dotnet", CliProcess.CliDll, "gateway", "--listen", $"127.0.0.1:{port}", "--commands", conf]);
        var (gateway, output) = await cli.StartAsync(psi, l => l.StartsWith("listening", StringComparison.Ordinal));
        Assert.Equal(0, (await cli.RunAsync("authorize", "--self", "--name", "tester")).Exit);
        Assert.Equal(0, (await cli.RunAsync("trust", $"127.0.0.1:{port}", "--yes")).Exit);
        await Task.Delay(1200);

        var slow = cli.RunAsync("call", $"127.0.0.1:{port}", "slow", "run", "3");
        await Task.Delay(1000);
        File.WriteAllText(conf, $"slow run {sleeper} ANYUSER\nnew hello /bin/echo ANYUSER\n");
        Assert.Equal(0, Kill(gateway.Id, 1)); // SIGHUP
        // Wait for the gateway to say it reloaded (on a loaded CI host a fixed polling window of CLI
        // calls, each a new process, could run out first), then the new command must work at once.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!Logged(output, "configuration reloaded") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.True(Logged(output, "configuration reloaded"), "the gateway did not log the reload within 60 s");
        var hello = await cli.RunAsync("call", $"127.0.0.1:{port}", "new", "hello");
        Assert.True(hello.Exit == 0, $"new hello: exit {hello.Exit}, stderr: {hello.Stderr}");
        Assert.Equal("hello\n", hello.Stdout);
        var slept = await slow;
        Assert.Equal(0, slept.Exit);
        Assert.Equal("slept\n", slept.Stdout);
        Assert.False(gateway.HasExited);
        CliProcess.Stop(gateway);
    }

    private static bool Logged(System.Text.StringBuilder output, string text)
    {
        lock (output)
        {
            return output.ToString().Contains(text, StringComparison.Ordinal);
        }
    }
}
