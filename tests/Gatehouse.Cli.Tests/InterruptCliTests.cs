using System.Runtime.InteropServices;

namespace Gatehouse.Cli.Tests;

/// <summary>Ctrl-C during a fan-out (issue 19: partial lines were dropped and no summary printed).</summary>
public sealed class InterruptCliTests : IDisposable
{
    private readonly CliProcess _cli = new();

    public void Dispose() => _cli.Dispose();

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

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
        using var process = System.Diagnostics.Process.Start(_cli.StartInfo("dotnet", [CliProcess.CliDll, "call", "-w", farm.All, "-d", "demo", "work"]))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await Task.WhenAll(started.Select(s => s.Task)).WaitAsync(TimeSpan.FromSeconds(60));
        await Task.Delay(300); // the output has left the gateways
        Assert.Equal(0, Kill(process.Id, 2)); // SIGINT, as Ctrl-C
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(130, process.ExitCode);
        Assert.Equal(new[] { $"{farm.Nodes[0]}: working", $"{farm.Nodes[1]}: working" }.Order(), (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
        Assert.Equal($"gatehouse: {farm.Fold(0, 1)} (2): interrupted\n", await stderr);
        await Task.WhenAll(cancelled.Select(c => c.Task)).WaitAsync(TimeSpan.FromSeconds(20)); // and the remote commands were cancelled
    }
}
