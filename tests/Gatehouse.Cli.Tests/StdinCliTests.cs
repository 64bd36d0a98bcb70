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
    public async Task Stdin_reaches_each_of_twelve_nodes_called_three_at_a_time_through_a_spool_that_is_unlinked_at_once()
    {
        // Seen: --stdin with more nodes than -f was refused; clush sends its stdin to every node whatever the fan-out.
        int running = 0, mostRunning = 0;
        await using var shared = await SharedGateway.StartAsync(_cli, 12, s => s.Map("demo", "count", async ctx =>
        {
            int now = Interlocked.Increment(ref running);
            InterlockedMax(ref mostRunning, now);
            try
            {
                var (total, hash) = await CountAsync(ctx.Stdin, ctx.CancellationToken);
                await ctx.WriteAsync($"{total} {hash}\n");
                return 0;
            }
            finally
            {
                Interlocked.Decrement(ref running);
            }
        }));
        string tmp = Directory.CreateDirectory(Path.Combine(_cli.Root, "tmp")).FullName;
        var psi = _cli.StartInfo("dotnet", [CliDll, "call", "--stdin", "-b", "-f", "3", "-w", shared.Nodes, "-d", "demo", "count"]);
        psi.Environment["TMPDIR"] = tmp;
        using var process = System.Diagnostics.Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var data = RandomNumberGenerator.GetBytes(3 * Chunk + 12345);
        var input = process.StandardInput.BaseStream;
        await input.WriteAsync(data.AsMemory(0, Chunk));
        await input.FlushAsync();

        // While it runs, the spool is open (mode 0600, in TMPDIR) but already has no name there.
        string spool = await SpoolOfAsync(process.Id);
        Assert.StartsWith(Path.Combine(tmp, "gatehouse-stdin-"), spool, StringComparison.Ordinal);
        Assert.EndsWith(" (deleted)", spool, StringComparison.Ordinal);
        Assert.DoesNotContain(Directory.GetFiles(tmp), f => Path.GetFileName(f).StartsWith("gatehouse-stdin-", StringComparison.Ordinal));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(SpoolFd(process.Id, spool)));

        await input.WriteAsync(data.AsMemory(Chunk));
        input.Close();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {await stderr}");
        string expected = $"{data.Length} {Convert.ToHexString(SHA256.HashData(data))}\n";
        Assert.Equal($"---------------\n127.0.0.[1-12]:{shared.Port} (12)\n---------------\n{expected}", await stdout);
        Assert.Equal(string.Empty, await stderr);
        Assert.InRange(mostRunning, 1, 3);
        Assert.DoesNotContain(Directory.GetFiles(tmp), f => Path.GetFileName(f).StartsWith("gatehouse-stdin-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stdin_still_being_written_reaches_nodes_started_after_the_first_batch_from_its_beginning()
    {
        // The first three calls read a megabyte and end, so later nodes start while the pipe is still open:
        // they must get what was written before they started (from the spool) and what comes after.
        int arrived = 0;
        var laterHasFirstMegabyte = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var shared = await SharedGateway.StartAsync(_cli, 12, s => s.Map("demo", "count", async ctx =>
        {
            int index = Interlocked.Increment(ref arrived) - 1;
            if (index < 3)
            {
                byte[] buffer = new byte[64 * 1024];
                long got = 0;
                int read;
                while (got < Chunk && (read = await ctx.Stdin.ReadAsync(buffer, ctx.CancellationToken)) > 0)
                {
                    got += read;
                }

                await ctx.WriteAsync("early\n");
                return 0;
            }

            var (total, hash) = await CountAsync(ctx.Stdin, ctx.CancellationToken, seen =>
            {
                if (seen > Chunk)
                {
                    laterHasFirstMegabyte.TrySetResult();
                }
            });
            await ctx.WriteAsync($"{total} {hash}\n");
            return 0;
        }));
        using var process = System.Diagnostics.Process.Start(_cli.StartInfo("dotnet", [CliDll, "call", "--stdin", "--json", "-f", "3", "-w", shared.Nodes, "-d", "demo", "count"]))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var data = RandomNumberGenerator.GetBytes(2 * Chunk + 777);
        var input = process.StandardInput.BaseStream;
        await input.WriteAsync(data.AsMemory(0, Chunk + 1));
        await input.FlushAsync();
        await laterHasFirstMegabyte.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await input.WriteAsync(data.AsMemory(Chunk + 1));
        input.Close();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));

        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {await stderr}");
        var outputs = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("stdout").GetString())
            .ToList();
        string expected = $"{data.Length} {Convert.ToHexString(SHA256.HashData(data))}\n";
        Assert.Equal(12, outputs.Count);
        Assert.Equal(3, outputs.Count(o => o == "early\n"));
        Assert.Equal(9, outputs.Count(o => o == expected));
    }

    [Fact]
    public async Task Stdin_for_more_nodes_than_the_fanout_width_with_no_writable_TMPDIR_fails_in_one_line_before_any_call()
    {
        Gatehouse.Transport.Security.PeerIdentity.LoadOrCreate(_cli.ConfigDir, "tester", out _).Dispose();
        var psi = _cli.StartInfo("dotnet", [CliDll, "call", "--stdin", "-f", "2", "-w", "127.0.0.1:[1-3]", "--fingerprint", "SHA256:" + Convert.ToBase64String(new byte[32]).TrimEnd('='), "count"]);
        psi.Environment["TMPDIR"] = Path.Combine(_cli.Root, "missing");
        using var process = System.Diagnostics.Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Close();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        string error = await stderr;
        Assert.Equal(1, process.ExitCode);
        Assert.StartsWith($"gatehouse call: --stdin: cannot make a spool file in {Path.Combine(_cli.Root, "missing")}/ (set TMPDIR to a writable directory): ", error, StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(string.Empty, await stdout);
    }

    private static string CliDll => CliProcess.CliDll;

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    /// <summary>Reads a stream to its end: its length and SHA-256 (hex); <paramref name="progress"/> hears the count as it grows.</summary>
    private static async Task<(long Total, string Hash)> CountAsync(Stream stdin, CancellationToken ct, Action<long>? progress = null)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        int read;
        while ((read = await stdin.ReadAsync(buffer, ct)) > 0)
        {
            sha.AppendData(buffer, 0, read);
            total += read;
            progress?.Invoke(total);
        }

        return (total, Convert.ToHexString(sha.GetHashAndReset()));
    }

    /// <summary>The target of the process's open spool file descriptor (<c>/proc/PID/fd</c>), once it has one.</summary>
    private static async Task<string> SpoolOfAsync(int pid)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < until)
        {
            foreach (string fd in Directory.GetFiles($"/proc/{pid}/fd"))
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.Contains("/gatehouse-stdin-", StringComparison.Ordinal))
                {
                    return target;
                }
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("the CLI opened no spool file");
    }

    private static string SpoolFd(int pid, string target) =>
        Directory.GetFiles($"/proc/{pid}/fd").First(fd => new FileInfo(fd).LinkTarget == target);
}
