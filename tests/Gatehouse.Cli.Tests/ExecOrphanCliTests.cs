namespace Gatehouse.Cli.Tests;

/// <summary>Issue 12, fault 8: exec children must not outlive a gateway that is killed with SIGKILL.</summary>
public class ExecOrphanCliTests
{
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>True when <paramref name="pid"/> runs (a zombie counts as gone: this container's PID 1 reaps no orphans).</summary>
    private static bool Running(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>The state of the given processes and of any exec watchdog, for a failure message.</summary>
    private static string Diagnose(params int[] pids)
    {
        var sb = new System.Text.StringBuilder();
        foreach (string d in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                string cmd = File.ReadAllText(Path.Combine(d, "cmdline")).Replace('\0', ' ');
                if (cmd.Contains("orphan-guard", StringComparison.Ordinal) || pids.Any(p => d.EndsWith("/" + p, StringComparison.Ordinal)))
                {
                    sb.AppendLine(d + " " + File.ReadAllText(Path.Combine(d, "stat")) + " wchan=" + File.ReadAllText(Path.Combine(d, "wchan")) + " " + cmd[..Math.Min(60, cmd.Length)]);
                }
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
        }

        return sb.ToString();
    }

    [Fact]
    public async Task Exec_children_and_their_group_are_gone_within_seconds_after_the_gateway_is_killed_with_SIGKILL()
    {
        using var cli = new CliProcess();
        int port = CliProcess.FreePort();
        string host = $"127.0.0.1:{port}";
        string conf = Path.Combine(cli.Root, "remctl.conf");
        string pids = Path.Combine(cli.Root, "pids");
        string script = Path.Combine(cli.Root, "sleeper.sh");
        // The command's leader runs `sleep 300` as a second member of its process group.
        File.WriteAllText(script, $"#!/bin/sh\nsleep 300 &\necho $$ $! > {pids}.tmp && mv {pids}.tmp {pids}\nwait\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(conf, $"slow run {script} ANYUSER\n");
        var (gateway, output) = await cli.StartAsync(cli.StartInfo("dotnet", [CliProcess.CliDll, "gateway", "--listen", host, "--commands", conf]), l => l.StartsWith("listening", StringComparison.Ordinal));
        Assert.Equal(0, (await cli.RunAsync("authorize", "--self", "--name", "tester")).Exit);
        Assert.Equal(0, (await cli.RunAsync("trust", host, "--yes")).Exit);
        await Task.Delay(1200); // the gateway re-reads authorized_peers once a second

        var call = cli.RunAsync("call", host, "slow", "run");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!File.Exists(pids) && !call.IsCompleted && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.True(File.Exists(pids), "the command did not start: " + (call.IsCompleted ? (await call).Stderr : "timeout") + "\n" + output);
        int[] started = File.ReadAllText(pids).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        int leader = started[0], sleep = started[1];
        try
        {
            Assert.True(Running(leader) && Running(sleep));
            // A command that has been running a moment: the gateway lists a new group right after
            // posix_spawn returns, and a kill landing between the two is the documented exception
            // (commands.md). On a loaded host the gateway's thread can wait that long for a CPU while
            // the script already runs.
            await Task.Delay(1000);
            Assert.Equal(0, Kill(gateway.Id, 9));
            Assert.True(gateway.WaitForExit(10_000));

            deadline = DateTime.UtcNow.AddSeconds(5);
            while ((Running(leader) || Running(sleep)) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }

            Assert.False(Running(sleep), "sleep 300 outlived the gateway\n" + Diagnose(leader, sleep));
            Assert.False(Running(leader), "the command outlived the gateway\n" + Diagnose(leader, sleep));
            await call; // the client sees its connection end
        }
        finally
        {
            _ = Kill(-leader, 9); // Clean up after a failure; ESRCH when the test passed.
        }
    }
}
