using System.Security.Cryptography;
using System.Text;
using Gatehouse.Service;

namespace Gatehouse.Cli.Tests;

/// <summary>
/// <c>--stdin</c> with and without <c>-w</c>: every node gets the input, and it is streamed: nodes
/// see the first megabyte while the rest has not been written yet (never read whole first).
/// </summary>
public sealed class StdinCliTests : IDisposable
{
    private const int Chunk = 1 << 20;
    private readonly CliProcess _cli = new();

    public void Dispose() => _cli.Dispose();

    /// <summary>Counts stdin bytes; says so once a megabyte has arrived; answers with the count and the SHA-256.</summary>
    private static void Counter(TaskCompletionSource[] firstMegabyte, int i, GatehouseService service) => service.Map("demo", "count", async ctx =>
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        int read;
        while ((read = await ctx.Stdin.ReadAsync(buffer, ctx.CancellationToken)) > 0)
        {
            sha.AppendData(buffer, 0, read);
            total += read;
            if (total >= Chunk)
            {
                firstMegabyte[i].TrySetResult();
            }
        }

        await ctx.WriteAsync($"{total} {Convert.ToHexString(sha.GetHashAndReset())}\n");
        return 0;
    });

    [Theory]
    [InlineData(3)]
    [InlineData(1)]
    public async Task Stdin_reaches_every_node_streamed_while_it_is_still_being_written(int nodes)
    {
        // Seen: with -w, --stdin was ignored (nothing sent, exit 0); without -w, all of stdin was
        // read into memory before the call started.
        var first = Enumerable.Range(0, nodes).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        await using var farm = await NodeFarm.StartAsync(_cli, nodes, (i, s) => Counter(first, i, s));
        string[] args = nodes > 1
            ? ["call", "--stdin", "-b", "-w", farm.All, "-d", "demo", "count"]
            : ["call", "--stdin", farm.Nodes[0], "-d", "demo", "count"];
        using var process = System.Diagnostics.Process.Start(_cli.StartInfo("dotnet", [CliProcess.CliDll, .. args]))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var input = process.StandardInput.BaseStream;
        var data = RandomNumberGenerator.GetBytes(4 * Chunk);
        await input.WriteAsync(data.AsMemory(0, Chunk + 1));
        await input.FlushAsync();
        // Every node has the first megabyte while three are still to come.
        await Task.WhenAll(first.Select(f => f.Task)).WaitAsync(TimeSpan.FromSeconds(60));
        await input.WriteAsync(data.AsMemory(Chunk + 1));
        input.Close();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        string expected = $"{data.Length} {Convert.ToHexString(SHA256.HashData(data))}\n";
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {await stderr}");
        Assert.Equal(nodes > 1 ? $"---------------\n{farm.Fold([.. Enumerable.Range(0, nodes)])} ({nodes})\n---------------\n{expected}" : expected, await stdout);
    }

    [Fact]
    public async Task Stdin_to_more_nodes_than_the_fanout_width_is_refused_before_anything_is_sent()
    {
        var run = await _cli.RunWithStdinAsync("x", "call", "--stdin", "-f", "2", "-w", "127.0.0.1:[1-3]", "--fingerprint", "SHA256:" + Convert.ToBase64String(new byte[32]).TrimEnd('='), "count");
        Assert.Equal(64, run.Exit);
        Assert.StartsWith("gatehouse call: --stdin sends the input to every node at once: raise -f to 3 or more (it is 2)\n", run.Stderr, StringComparison.Ordinal);
    }
}
