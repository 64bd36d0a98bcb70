namespace Gatehouse.NodeSets.Tests;

public class NodeSetOperationTests
{
    [Fact]
    public void Except_removes_nodes_like_clush_dash_x()
    {
        NodeSet all = NodeSet.Parse("node[1-10]");
        Assert.Equal("node[1-2,4-6,10]", all.Except(NodeSet.Parse("node[7-9],node3")).Fold());
        Assert.Equal("node[1-10]", all.Fold());
    }

    [Fact]
    public void Union_intersect_and_symmetric_except()
    {
        NodeSet a = NodeSet.Parse("n[1-5]");
        NodeSet b = NodeSet.Parse("n[4-8]");
        Assert.Equal("n[1-8]", a.Union(b).Fold());
        Assert.Equal("n[4-5]", a.Intersect(b).Fold());
        Assert.Equal("n[1-3,6-8]", a.SymmetricExcept(b).Fold());
    }

    [Fact]
    public void Equality_is_by_members()
    {
        Assert.Equal(NodeSet.Parse("n[1-3]"), NodeSet.Parse("n3,n1,n2"));
        Assert.Equal(NodeSet.Parse("n[1-3]").GetHashCode(), NodeSet.Parse("n3,n1,n2").GetHashCode());
        Assert.NotEqual(NodeSet.Parse("n[1-3]"), NodeSet.Parse("n[1-4]"));
        Assert.NotEqual(NodeSet.Parse("n01"), NodeSet.Parse("n1"));
    }

    [Fact]
    public void Indexer_contains_and_count()
    {
        NodeSet set = NodeSet.Parse("node[10,2,1]");
        Assert.Equal(3, set.Count);
        Assert.Equal("node1", set[0]);
        Assert.Equal("node10", set[2]);
        Assert.True(set.Contains("node2"));
        Assert.False(set.Contains("node3"));
        Assert.False(set.Contains("NODE2"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a b")]
    [InlineData("a,b")]
    [InlineData("n[1]")]
    [InlineData("@g")]
    [InlineData("x!y")]
    [InlineData("a#b")]
    [InlineData("tab\t")]
    public void FromNodes_rejects_names_the_syntax_reserves(string name)
    {
        Assert.False(NodeSet.IsValidNodeName(name));
        Assert.Throws<ArgumentException>(() => NodeSet.FromNodes([name]));
    }

    [Theory]
    [InlineData("node1")]
    [InlineData("gw1:7340")]
    [InlineData("db-01.example.org")]
    [InlineData("10.0.0.1")]
    public void Accepts_ordinary_names(string name)
    {
        Assert.True(NodeSet.IsValidNodeName(name));
        Assert.Equal([name], NodeSet.FromNodes([name]).ToArray());
    }
}
