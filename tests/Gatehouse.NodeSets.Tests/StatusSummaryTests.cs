namespace Gatehouse.NodeSets.Tests;

public class StatusSummaryTests
{
    private static List<NodeResult> Cluster()
    {
        List<NodeResult> results = [];
        results.AddRange(Enumerable.Range(1, 19).Select(i => NodeResult.Exited($"node{i}", 0)));
        results.Add(NodeResult.Exited("node20", 3));
        results.Add(NodeResult.Failed("node21", "connection timed out"));
        results.Add(NodeResult.Failed("node22", "connection timed out"));
        results.Reverse();
        return results;
    }

    [Fact]
    public void Reports_failures_folded_as_clush_does()
    {
        Assert.Equal(
            "gatehouse: node20: exited with exit code 3\n" +
            "gatehouse: node[21-22] (2): connection timed out\n",
            StatusSummary.Render(Cluster(), "gatehouse"));
        Assert.Equal(
            "clush: node20: exited with exit code 3\n" +
            "clush: node[21-22]: connection timed out\n",
            StatusSummary.Render(Cluster(), "clush", showNodeCount: false));
        Assert.Equal(string.Empty, StatusSummary.Render([NodeResult.Exited("n1", 0)], "gatehouse"));
    }

    [Fact]
    public void Twenty_identical_failures_are_one_line()
    {
        NodeResult[] results = [.. Enumerable.Range(1, 20).Select(i => NodeResult.Failed($"127.0.0.1:{29274 + i}", "unreachable: connect timed out after 1 s (3 attempts)"))];
        Assert.Equal("gatehouse: 127.0.0.1:[29275-29294] (20): unreachable: connect timed out after 1 s (3 attempts)\n", StatusSummary.Render(results, "gatehouse"));
    }

    [Fact]
    public void Groups_include_success_unless_asked_not_to()
    {
        Assert.Equal(["node[1-19]", "node20", "node[21-22]"], StatusSummary.Group(Cluster()).Select(g => g.Nodes.Fold()));
        Assert.Equal(["node20", "node[21-22]"], StatusSummary.Group(Cluster(), includeSuccess: false).Select(g => g.Nodes.Fold()));
    }

    [Fact]
    public void Interleaved_statuses_fold_per_status()
    {
        NodeResult[] results =
        [
            NodeResult.Exited("n1", 0),
            NodeResult.Exited("n2", 1),
            NodeResult.Exited("n3", 0),
            NodeResult.Exited("n4", 1),
            NodeResult.Failed("n5", "refused"),
            NodeResult.Failed("n6", "timed out"),
        ];

        IReadOnlyList<StatusGroup> groups = StatusSummary.Group(results);
        Assert.Equal(["n[1,3]", "n[2,4]", "n5", "n6"], groups.Select(g => g.Nodes.Fold()));
        Assert.Equal(["exit 0", "exit 1", "error: refused", "error: timed out"], groups.Select(g => g.Status));
    }

    [Fact]
    public void Multi_line_errors_become_one_line()
    {
        NodeResult result = NodeResult.Failed("n1", "tls handshake failed:\r\n  certificate mismatch\n");
        Assert.Equal("error: tls handshake failed: certificate mismatch", result.StatusText);
        Assert.Equal("gatehouse: n1: tls handshake failed: certificate mismatch\n", StatusSummary.Render([result], "gatehouse"));
    }

    [Fact]
    public void Negative_exit_codes_are_printed_as_is()
    {
        Assert.Equal("gatehouse: n1: exited with exit code -1\n", StatusSummary.Render([NodeResult.Exited("n1", -1)], "gatehouse"));
    }

    [Fact]
    public void NodeResult_requires_exactly_one_status()
    {
        Assert.Throws<ArgumentException>(() => new NodeResult("n1", default, default, null, null));
        Assert.Throws<ArgumentException>(() => new NodeResult("n1", default, default, 0, "x"));
        Assert.Throws<ArgumentException>(() => NodeResult.Exited("bad name", 0));
        Assert.Throws<ArgumentNullException>(() => NodeResult.Failed("n1", null!));
    }
}
