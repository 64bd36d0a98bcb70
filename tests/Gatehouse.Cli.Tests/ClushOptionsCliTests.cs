using Gatehouse.Service;

namespace Gatehouse.Cli.Tests;

/// <summary>
/// Each clush option of <c>gatehouse call -w</c>, run as a real process against four real gateways
/// whose services answer with a fixed set of outputs, with the expected output written out. n0..n3
/// are the nodes (127.0.0.1:PORT); folded sets fold their random ports, as clush does
/// (<c>127.0.0.1:[40113,40871]</c>).
/// </summary>
public sealed class ClushOptionsCliTests : IAsyncLifetime
{
    private readonly CliProcess _cli = new();
    private NodeFarm _farm = null!;

    /// <summary>n0, n1: "same" (stderr "err n0"/"err n1"), exit 0; n2: "same", exit 3; n3: "other", exit 0.</summary>
    private static void Report(int i, GatehouseService service) => service.Map("demo", "report", async ctx =>
    {
        await ctx.WriteAsync(i == 3 ? "other\n" : "same\n");
        if (i < 2)
        {
            await ctx.WriteErrorAsync($"err n{i}\n");
        }

        return i == 2 ? 3 : 0;
    });

    public async Task InitializeAsync() => _farm = await NodeFarm.StartAsync(_cli, 4, Report);

    public async Task DisposeAsync()
    {
        await _farm.DisposeAsync();
        _cli.Dispose();
    }

    private string N(int i) => _farm.Nodes[i];

    private Task<(int Exit, string Stdout, string Stderr)> Call(params string[] options) =>
        _cli.RunAsync(["call", "-w", _farm.All, .. options, "-d", "demo", "report"]);

    [Fact]
    public async Task Without_options_lines_are_prefixed_live_and_the_status_is_1_for_a_failed_node()
    {
        var run = await Call();
        Assert.Equal(1, run.Exit);
        Assert.Equal(new[] { $"{N(0)}: same", $"{N(1)}: same", $"{N(2)}: same", $"{N(3)}: other" }.Order(), run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
        Assert.Equal(new[] { $"{N(0)}: err n0", $"{N(1)}: err n1", $"gatehouse: {N(2)}: exited with exit code 3" }.Order(), run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
    }

    [Fact]
    public async Task Gather_b_keeps_exit_statuses_apart_and_prints_stderr_as_it_comes()
    {
        var run = await Call("-b");
        Assert.Equal(1, run.Exit);
        Assert.Equal(
            $"""
            ---------------
            {_farm.Fold(0, 1)} (2)
            ---------------
            same
            ---------------
            {N(3)}
            ---------------
            other
            ---------------
            {N(2)}
            ---------------
            same

            """,
            run.Stdout);
        Assert.Contains($"{N(0)}: err n0\n", run.Stderr, StringComparison.Ordinal);
        Assert.Contains($"{N(1)}: err n1\n", run.Stderr, StringComparison.Ordinal);
        Assert.EndsWith($"gatehouse: {N(2)}: exited with exit code 3\n", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gather_B_gathers_stderr_with_stdout()
    {
        var run = await Call("-B");
        // Exit 0 first: three blocks of one node, in node order; then exit 3.
        string Block(int i) => $"---------------\n{N(i)}\n---------------\n" + (i == 3 ? "other\n" : $"same\nerr n{i}\n");
        int[] ok = [.. new[] { 0, 1, 3 }.OrderBy(N, Gatehouse.NodeSets.NaturalComparer.Instance)];
        Assert.Equal(
            string.Concat(ok.Select(Block)) +
            $"""
            ---------------
            {N(2)}
            ---------------
            same

            """,
            run.Stdout);
        Assert.Equal($"gatehouse: {N(2)}: exited with exit code 3\n", run.Stderr);
    }

    [Fact]
    public async Task Line_mode_L_prints_node_after_node_by_status()
    {
        var run = await Call("-L");
        string[] ok = [N(0), N(1), N(3)];
        Array.Sort(ok, Gatehouse.NodeSets.NaturalComparer.Instance);
        string Line(string n) => n == N(3) ? $"{n}: other\n" : $"{n}: same\n";
        Assert.Equal(string.Concat(ok.Select(Line)) + $"{N(2)}: same\n", run.Stdout);
    }

    [Fact]
    public async Task Gathered_lines_bL_fold_nodes_per_line()
    {
        var run = await Call("-bL");
        Assert.Equal($"{_farm.Fold(0, 1, 2)}: same\n{N(3)}: other\n", run.Stdout);
    }

    [Fact]
    public async Task Diff_shows_each_output_against_the_most_common_one()
    {
        var run = await Call("--diff");
        Assert.Equal(
            $"""
            --- {_farm.Fold(0, 1)} (2)
            +++ {N(3)}
            @@ -1 +1 @@
            -same
            +other

            """,
            run.Stdout);
    }

    [Fact]
    public async Task Quiet_drops_node_counts()
    {
        var run = await Call("-q", "-b");
        Assert.StartsWith($"---------------\n{_farm.Fold(0, 1)}\n---------------\nsame\n", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MaxStatus_S_exits_with_the_largest_node_status()
    {
        Assert.Equal(3, (await Call("-S")).Exit);
        Assert.Equal(1, (await Call()).Exit);
    }

    [Fact]
    public async Task Exclusions_x_and_X_leave_nodes_out()
    {
        string groups = Path.Combine(_cli.Root, "groups");
        File.WriteAllText(groups, $"bad: {N(2)}\n");
        var run = await _cli.RunAsync("call", "-w", _farm.All, "-x", N(3), "-X", "bad", "--groups", groups, "-b", "-d", "demo", "report");
        Assert.Equal(0, run.Exit);
        Assert.Equal($"---------------\n{_farm.Fold(0, 1)} (2)\n---------------\nsame\n", run.Stdout);
    }

    [Fact]
    public async Task Json_gives_one_object_per_node_in_node_order()
    {
        var run = await Call("--json");
        string[] lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        var byNode = lines.Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToDictionary(e => e.GetProperty("node").GetString()!);
        Assert.Equal(3, byNode[N(2)].GetProperty("exitCode").GetInt32());
        Assert.Equal("same\n", byNode[N(0)].GetProperty("stdout").GetString());
        Assert.Equal("err n0\n", byNode[N(0)].GetProperty("stderr").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, byNode[N(3)].GetProperty("error").ValueKind);
        Assert.True(byNode[N(1)].GetProperty("durationSeconds").GetDouble() >= 0);
        Assert.Equal(_farm.Nodes.Order(Gatehouse.NodeSets.NaturalComparer.Instance), lines.Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("node").GetString()!));
    }

    [Fact]
    public async Task Outdir_and_errdir_get_one_file_per_node()
    {
        string outDir = Path.Combine(_cli.Root, "out"), errDir = Path.Combine(_cli.Root, "err");
        var run = await Call("--outdir", outDir, "--errdir", errDir);
        Assert.Equal(1, run.Exit);
        Assert.Equal("same\n", File.ReadAllText(Path.Combine(outDir, N(0))));
        Assert.Equal("other\n", File.ReadAllText(Path.Combine(outDir, N(3))));
        Assert.Equal("err n1\n", File.ReadAllText(Path.Combine(errDir, N(1))));
        Assert.Equal(string.Empty, File.ReadAllText(Path.Combine(errDir, N(3))));
    }

    [Fact]
    public async Task Fanout_f_limits_the_width_and_still_calls_every_node()
    {
        var run = await Call("-f", "1", "-b");
        Assert.Equal(1, run.Exit);
        Assert.Contains($"{_farm.Fold(0, 1)} (2)", run.Stdout, StringComparison.Ordinal);
        var bad = await Call("-f", "0");
        Assert.Equal(64, bad.Exit);
        Assert.StartsWith("gatehouse call: --fanout must be 1..4096; got 0\n", bad.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bundled_short_options_work_as_clush_users_type_them()
    {
        var run = await _cli.RunAsync("call", "-qbw", _farm.All, "-d", "demo", "report");
        Assert.StartsWith($"---------------\n{_farm.Fold(0, 1)}\n", run.Stdout, StringComparison.Ordinal);
    }
}
