using System.Runtime.InteropServices;

namespace Gatehouse.Cli.Tests;

/// <summary>Ctrl-C during a fan-out (issue 19: partial lines were dropped and no summary printed).</summary>
public sealed class InterruptCliTests : IDisposable
{
    private readonly CliProcess _cli = new();

    public void Dispose() => _cli.Dispose();

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private static async Task<bool> ExitsWithinAsync(System.Diagnostics.Process process, TimeSpan timeout)
    {
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Each thread's name, state and kernel wait channel, from /proc (for a failure message).</summary>
    private static string Threads(int pid)
    {
        var sb = new System.Text.StringBuilder();
        try
        {
            foreach (string task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    string stat = File.ReadAllText(Path.Combine(task, "stat"));
                    sb.Append(File.ReadAllText(Path.Combine(task, "comm")).Trim()).Append(' ')
                        .Append(stat[(stat.LastIndexOf(')') + 2)]).Append(' ')
                        .AppendLine(File.ReadAllText(Path.Combine(task, "wchan")));
                }
                catch (IOException)
                {
                    // The thread ended while we looked.
                }
            }
        }
        catch (IOException ex)
        {
            sb.AppendLine(ex.Message);
        }

        return sb.ToString();
    }

    [Fact]
    public async Task Ctrl_C_prints_the_partial_lines_and_a_folded_summary_and_exits_130()
    {
        var started = new[] { new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        var cancelled = new[] { new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        await using var farm = await NodeFarm.StartAsync(_cli, 2, (i, s) => s.Map("demo", "work", async ctx =>
        {
            await ctx.WriteAsync("working");
            started[i].TrySetResult();
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(60), ctx.CancellationToken);
            }
            catch (OperationCanceledException)
            {
                cancelled[i].TrySetResult();
                throw;
            }

            return 0;
        }));
        // Through env --default-signal: a test run started in the background by a shell without job
        // control inherits SIGINT ignored, and the CLI would inherit that too (seen: exit 0 after the
        // calls ran to their end).
        using var process = System.Diagnostics.Process.Start(_cli.StartInfo("/usr/bin/env", ["--default-signal=INT", "dotnet", CliProcess.CliDll, "call", "-w", farm.All, "-d", "demo", "work"]))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await Task.WhenAll(started.Select(s => s.Task)).WaitAsync(TimeSpan.FromSeconds(60));
        await Task.Delay(300); // the output has left the gateways
        Assert.Equal(0, Kill(process.Id, 2)); // SIGINT, as Ctrl-C
        // On a timeout the message says what the process's threads were doing.
        if (!await ExitsWithinAsync(process, TimeSpan.FromSeconds(60)))
        {
            string threads = Threads(process.Id);
            process.Kill(entireProcessTree: true);
            Assert.Fail($"gatehouse call -w did not exit within 60 s of SIGINT; its threads:\n{threads}");
        }

        Assert.Equal(130, process.ExitCode);
        Assert.Equal(new[] { $"{farm.Nodes[0]}: working", $"{farm.Nodes[1]}: working" }.Order(), (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
        Assert.Equal($"gatehouse: {farm.Fold(0, 1)} (2): interrupted\n", await stderr);
        await Task.WhenAll(cancelled.Select(c => c.Task)).WaitAsync(TimeSpan.FromSeconds(20)); // and the remote commands were cancelled
    }
}
