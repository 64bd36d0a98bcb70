namespace Gatehouse.NodeSets.Tests;

public class ProgressLineTests
{
    [Fact]
    public void Shows_counts_and_folded_outstanding_nodes()
    {
        Assert.Equal("[12/20] waiting: node[3,7-9]", ProgressLine.Format(12, 20, NodeSet.Parse("node[7-9],node3")));
    }

    [Fact]
    public void Shows_done_when_nothing_is_outstanding()
    {
        Assert.Equal("[20/20] done", ProgressLine.Format(20, 20, NodeSet.Empty));
    }

    [Fact]
    public void Truncates_to_width_with_an_ellipsis()
    {
        NodeSet outstanding = NodeSet.Parse("node[1,3,5,7,9,11,13,15,17,19]");
        string line = ProgressLine.Format(10, 20, outstanding, width: 30);
        Assert.Equal(30, line.Length);
        Assert.Equal("[10/20] waiting: node[1,3,5...", line);
    }

    [Fact]
    public void Leaves_short_lines_alone_and_handles_tiny_widths()
    {
        NodeSet outstanding = NodeSet.Parse("n1");
        Assert.Equal("[1/2] waiting: n1", ProgressLine.Format(1, 2, outstanding, width: 17));
        Assert.Equal("[1/2] waiting: n1", ProgressLine.Format(1, 2, outstanding, width: 0));
        Assert.Equal("[1/", ProgressLine.Format(1, 2, outstanding, width: 3));
        Assert.Equal("[1/2...", ProgressLine.Format(1, 2, outstanding, width: 7));
    }

    [Fact]
    public void Rejects_inconsistent_counts()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ProgressLine.Format(3, 2, NodeSet.Empty));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProgressLine.Format(-1, 2, NodeSet.Empty));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProgressLine.Format(1, 2, NodeSet.Empty, -5));
    }
}
