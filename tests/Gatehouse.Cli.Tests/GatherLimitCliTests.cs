using System.Text;
using System.Text.Json;
using Gatehouse.Cli.CommandLine;

namespace Gatehouse.Cli.Tests;

/// <summary>
/// <c>--gather-limit</c>: output kept in memory for <c>-b -B -L --diff --json</c> is capped, all nodes
/// together; past the cap the command says so in one line and loses nothing (run as a real process
/// against a real gateway reached as four nodes, each answering 100 lines and an unfinished one).
/// </summary>
public sealed class GatherLimitCliTests : IAsyncLifetime
{
    private const int Lines = 100;
    private readonly CliProcess _cli = new();
    private SharedGateway _gateway = null!;

    public async Task InitializeAsync() => _gateway = await SharedGateway.StartAsync(_cli, 4, s => s.Map("demo", "lines", async ctx =>
    {
        await ctx.WriteAsync(Output);
        return 0;
    }));

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        _cli.Dispose();
    }

    /// <summary>What every node writes: 100 numbered lines (1,600 bytes) and "tail" without a newline.</summary>
    private static string Output { get; } = string.Concat(Enumerable.Range(1, Lines).Select(i => $"line {i:000} of {Lines}\n")) + "tail";

    private string Node(int i) => $"127.0.0.{i}:{_gateway.Port}";

    private Task<(int Exit, string Stdout, string Stderr)> Call(params string[] options) =>
        _cli.RunAsync(["call", "-q", "-w", _gateway.Nodes, .. options, "-d", "demo", "lines"]);

    /// <summary>Every node's output as prefixed lines, sorted (the order nodes print in is theirs).</summary>
    private string[] EveryLinePrefixed() =>
        [.. Enumerable.Range(1, 4).SelectMany(n => Output.Split('\n').Select(l => $"{Node(n)}: {l}")).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task Gathering_under_the_limit_gives_one_gathered_block()
    {
        var run = await Call("-b", "--gather-limit", "64K");
        Assert.True(run.Exit == 0, run.Stderr);
        Assert.Equal($"---------------\n127.0.0.[1-4]:{_gateway.Port}\n---------------\n{Output}\n", run.Stdout);
        Assert.Equal(string.Empty, run.Stderr);
    }

    [Fact]
    public async Task Gathering_past_the_limit_says_so_in_one_line_and_prints_every_line_of_every_node_prefixed()
    {
        var run = await Call("-b", "--gather-limit", "2K");
        Assert.True(run.Exit == 0, run.Stderr);
        Assert.Equal("gatehouse: gathered output reached --gather-limit (2 KiB): not gathering any more; every node's output is printed as it comes, as 'node: line'\n", run.Stderr);
        Assert.DoesNotContain("---------------", run.Stdout, StringComparison.Ordinal);
        Assert.Equal(EveryLinePrefixed(), run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Line_mode_past_the_limit_also_prints_every_line_prefixed()
    {
        var run = await Call("-L", "--gather-limit", "3000");
        Assert.True(run.Exit == 0, run.Stderr);
        Assert.Equal("gatehouse: gathered output reached --gather-limit (3000 bytes): not gathering any more; every node's output is printed as it comes, as 'node: line'\n", run.Stderr);
        Assert.Equal(EveryLinePrefixed(), run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Gathering_past_the_limit_with_outdir_leaves_standard_output_to_the_files()
    {
        string dir = Path.Combine(_cli.Root, "out");
        var run = await Call("-b", "--outdir", dir, "--gather-limit", "2K");
        Assert.True(run.Exit == 0, run.Stderr);
        Assert.Equal($"gatehouse: gathered output reached --gather-limit (2 KiB): not gathering any more; standard output goes on only to {dir}/NODE, anything else is printed as it comes, as 'node: line'\n", run.Stderr);
        Assert.Equal(string.Empty, run.Stdout);
        for (int n = 1; n <= 4; n++)
        {
            Assert.Equal(Output, File.ReadAllText(Path.Combine(dir, Node(n))));
        }
    }

    [Fact]
    public async Task Json_past_the_limit_stays_json_and_marks_the_nodes_whose_output_was_cut()
    {
        var run = await Call("--json", "--gather-limit", "4K");
        Assert.True(run.Exit == 0, run.Stderr);
        Assert.Equal("gatehouse: output kept for --json reached --gather-limit (4 KiB): the rest is not kept (those nodes' objects say \"truncated\": true; --outdir/--errdir keep everything)\n", run.Stderr);
        var objects = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(Enumerable.Range(1, 4).Select(Node), objects.Select(o => o.GetProperty("node").GetString()));
        // Each node's output is 1,604 bytes: two fit in 4 KiB, the others are cut (what was kept is a beginning of it).
        var kept = objects.Select(o => (Truncated: o.GetProperty("truncated").GetBoolean(), Stdout: o.GetProperty("stdout").GetString()!)).ToList();
        Assert.All(kept, k => Assert.True(k.Truncated ? k.Stdout.Length < Output.Length && Output.StartsWith(k.Stdout, StringComparison.Ordinal) : k.Stdout == Output, $"truncated {k.Truncated}: {k.Stdout.Length} bytes"));
        Assert.Equal(2, kept.Count(k => !k.Truncated));
        Assert.InRange(kept.Sum(k => Encoding.UTF8.GetByteCount(k.Stdout)), 2 * Output.Length, 4096);
        Assert.All(objects, o => Assert.Equal(0, o.GetProperty("exitCode").GetInt32()));
    }

    [Theory]
    [InlineData("0", "--gather-limit must be 1 byte..64 GiB; got 0")]
    [InlineData("65G", "--gather-limit must be 1 byte..64 GiB; got 65G")]
    [InlineData("lots", "--gather-limit: 'lots' is not a size (bytes, or a number with K, M or G)")]
    public async Task A_bad_gather_limit_is_refused_in_one_line(string value, string message)
    {
        var run = await Call("-b", "--gather-limit", value);
        Assert.Equal(64, run.Exit);
        Assert.StartsWith($"gatehouse call: {message}\n", run.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1", 1L)]
    [InlineData("2048", 2048L)]
    [InlineData("64K", 64L << 10)]
    [InlineData("64k", 64L << 10)]
    [InlineData("256M", 256L << 20)]
    [InlineData("256MiB", 256L << 20)]
    [InlineData("256MB", 256L << 20)]
    [InlineData("1G", 1L << 30)]
    [InlineData("100B", 100L)]
    public void Sizes_are_bytes_or_binary_multiples(string text, long bytes)
    {
        Assert.True(OptionValues.TryParseSize(text, out long parsed));
        Assert.Equal(bytes, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("K")]
    [InlineData("-1")]
    [InlineData("1.5M")]
    [InlineData("1T")]
    [InlineData("99999999999G")]
    public void What_is_not_a_size_is_refused(string text) => Assert.False(OptionValues.TryParseSize(text, out _));
}
