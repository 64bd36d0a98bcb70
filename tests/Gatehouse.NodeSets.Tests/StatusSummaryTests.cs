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
    public void Groups_nodes_by_identical_status_and_folds_them()
    {
        Assert.Equal(
            "node[1-19]: exit 0\n" +
            "node20: exit 3\n" +
            "node[21-22]: error: connection timed out\n",
            StatusSummary.Render(Cluster()));
    }

    [Fact]
    public void Success_can_be_left_out()
    {
        Assert.Equal(
            "node20: exit 3\nnode[21-22]: error: connection timed out\n",
            StatusSummary.Render(Cluster(), includeSuccess: false));
        Assert.Equal(string.Empty, StatusSummary.Render([NodeResult.Exited("n1", 0)], includeSuccess: false));
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
        Assert.Equal("n1: error: tls handshake failed: certificate mismatch\n", StatusSummary.Render([result]));
    }

    [Fact]
    public void Negative_exit_codes_are_printed_as_is()
    {
        Assert.Equal("n1: exit -1\n", StatusSummary.Render([NodeResult.Exited("n1", -1)]));
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
