using System.Text;

namespace Gatehouse.NodeSets.Tests;

public class GatheredOutputTests
{
    private static byte[] B(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public void Identical_outputs_are_merged_under_a_folded_header()
    {
        NodeResult[] results =
        [
            NodeResult.Exited("node1", 0, B("Linux 6.1\n")),
            NodeResult.Exited("node7", 0, B("Linux 6.1\n")),
            NodeResult.Exited("node2", 0, B("Linux 6.1\n")),
            NodeResult.Exited("node3", 0, B("Linux 6.1\n")),
            NodeResult.Exited("node4", 0, B("Linux 5.10\n")),
        ];

        string text = GatheredOutput.Render(results);

        Assert.Equal(
            "---------------\n" +
            "node[1-3,7] (4)\n" +
            "---------------\n" +
            "Linux 6.1\n" +
            "---------------\n" +
            "node4\n" +
            "---------------\n" +
            "Linux 5.10\n",
            text);
    }

    [Fact]
    public void Gather_returns_larger_groups_first_then_by_first_node()
    {
        NodeResult[] results =
        [
            NodeResult.Exited("node10", 0, B("b\n")),
            NodeResult.Exited("node2", 0, B("a\n")),
            NodeResult.Exited("node9", 0, B("b\n")),
            NodeResult.Exited("node1", 0, B("c\n")),
        ];

        IReadOnlyList<OutputGroup> groups = GatheredOutput.Gather(results);

        Assert.Equal(["node[9-10]", "node1", "node2"], groups.Select(g => g.Nodes.Fold()));
        Assert.Equal("b\n", Encoding.UTF8.GetString(groups[0].Output.Span));
    }

    [Fact]
    public void Same_output_with_another_exit_status_is_a_block_of_its_own_after_the_lower_statuses()
    {
        // Seen: nodes with the same output but different exit codes were merged, so a failing node
        // hid among good ones. clush keeps them apart and orders blocks by exit status.
        NodeResult[] results =
        [
            NodeResult.Exited("n1", 0, B("ok\n")),
            NodeResult.Exited("n2", 2, B("ok\n")),
            NodeResult.Exited("n3", 0, B("ok\n")),
            NodeResult.Failed("n4", "deadline exceeded", B("ok\n")),
            NodeResult.Exited("n5", 1, B("ok\n")),
        ];

        Assert.Equal(
            "---------------\nn[1,3] (2)\n---------------\nok\n" +
            "---------------\nn5\n---------------\nok\n" +
            "---------------\nn2\n---------------\nok\n" +
            "---------------\nn4\n---------------\nok\n",
            GatheredOutput.Render(results));
        Assert.Equal(["exit 0", "exit 1", "exit 2", "error: deadline exceeded"], GatheredOutput.Gather(results).Select(g => g.Status));
    }

    [Fact]
    public void Outputs_differing_by_one_byte_are_not_merged()
    {
        NodeResult[] results =
        [
            NodeResult.Exited("n1", 0, B("same\n")),
            NodeResult.Exited("n2", 0, B("same")),
            NodeResult.Exited("n3", 0, B("same\r\n")),
            NodeResult.Exited("n4", 0, B("same\n")),
        ];

        Assert.Equal(["n[1,4]", "n2", "n3"], GatheredOutput.Gather(results).Select(g => g.Nodes.Fold()));
    }

    [Fact]
    public void Nodes_without_output_get_no_block()
    {
        NodeResult[] results =
        [
            NodeResult.Exited("n1", 0),
            NodeResult.Failed("n2", "connection refused"),
            NodeResult.Exited("n3", 0, B("x\n")),
        ];

        Assert.Equal("---------------\nn3\n---------------\nx\n", GatheredOutput.Render(results));
        Assert.Equal(string.Empty, GatheredOutput.Render([NodeResult.Exited("n1", 0)]));
    }

    [Fact]
    public void Missing_final_newline_is_added_and_crlf_becomes_lf()
    {
        NodeResult[] results = [NodeResult.Exited("n1", 0, B("one\r\ntwo"))];
        Assert.EndsWith("---------------\none\ntwo\n", GatheredOutput.Render(results), StringComparison.Ordinal);
    }

    [Fact]
    public void Blank_lines_inside_output_are_kept()
    {
        NodeResult[] results = [NodeResult.Exited("n1", 0, B("a\n\nb\n\n"))];
        Assert.EndsWith("---------------\na\n\nb\n\n", GatheredOutput.Render(results), StringComparison.Ordinal);
    }

    [Fact]
    public void Stderr_is_left_out_by_default_and_gathered_with_both()
    {
        NodeResult[] results =
        [
            NodeResult.Exited("n1", 1, B("out"), B("err\n")),
            NodeResult.Exited("n2", 1, B("out"), B("other\n")),
        ];

        Assert.Single(GatheredOutput.Gather(results, OutputStreams.Stdout));
        IReadOnlyList<OutputGroup> both = GatheredOutput.Gather(results, OutputStreams.Both);
        Assert.Equal(2, both.Count);
        Assert.Equal("out\nerr\n", Encoding.UTF8.GetString(both[0].Output.Span));
        Assert.Equal("err\n", Encoding.UTF8.GetString(GatheredOutput.Gather(results, OutputStreams.Stderr)[0].Output.Span));
    }

    [Fact]
    public void Options_change_header()
    {
        NodeResult[] results = [NodeResult.Exited("n1", 0, B("x\n")), NodeResult.Exited("n2", 0, B("x\n"))];
        var options = new GatherOptions { ShowNodeCount = false, SeparatorWidth = 5 };
        Assert.Equal("-----\nn[1-2]\n-----\nx\n", GatheredOutput.Render(results, options));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GatherOptions { SeparatorWidth = 0 });
    }

    [Fact]
    public void Invalid_utf8_is_replaced_not_thrown()
    {
        NodeResult[] results = [NodeResult.Exited("n1", 0, new byte[] { 0x61, 0xFF, 0x62, 0x0A })];
        Assert.EndsWith("a\uFFFDb\n", GatheredOutput.Render(results), StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_node_results_are_rejected()
    {
        NodeResult[] results = [NodeResult.Exited("n1", 0, B("a")), NodeResult.Exited("n1", 0, B("b"))];
        Assert.Throws<ArgumentException>(() => GatheredOutput.Gather(results));
    }

    [Fact]
    public void Many_nodes_merge_into_one_block()
    {
        NodeResult[] results = [.. Enumerable.Range(1, 200).Select(i => NodeResult.Exited($"node{i:D3}", 0, B("ok\n")))];
        Assert.Equal("---------------\nnode[001-200] (200)\n---------------\nok\n", GatheredOutput.Render(results));
    }

    [Fact]
    public void Writer_overload_writes_the_same_text()
    {
        NodeResult[] results = [NodeResult.Exited("gw1:7340", 0, B("up\n")), NodeResult.Exited("gw2:7340", 0, B("up\n"))];
        using var writer = new StringWriter();
        GatheredOutput.Write(writer, results);
        Assert.Equal("---------------\ngw[1-2]:7340 (2)\n---------------\nup\n", writer.ToString());
    }
}
