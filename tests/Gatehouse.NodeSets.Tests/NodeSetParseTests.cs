namespace Gatehouse.NodeSets.Tests;

public class NodeSetParseTests
{
    private static string[] Expand(string expression, NodeSetParseOptions? options = null) =>
        [.. NodeSet.Parse(expression, options)];

    [Fact]
    public void Single_name()
    {
        Assert.Equal(["gateway"], Expand("gateway"));
    }

    [Fact]
    public void Simple_range()
    {
        string[] nodes = Expand("node[1-20]");
        Assert.Equal(20, nodes.Length);
        Assert.Equal("node1", nodes[0]);
        Assert.Equal("node2", nodes[1]);
        Assert.Equal("node10", nodes[9]);
        Assert.Equal("node20", nodes[19]);
    }

    [Fact]
    public void Zero_padding_is_kept()
    {
        Assert.Equal(["node01", "node02", "node03", "node09", "node10"], Expand("node[01-03,09-10]"));
        Assert.Equal(["n007"], Expand("n[007]"));
        Assert.Equal(["n098", "n099", "n100", "n101"], Expand("n[098-101]"));
    }

    [Fact]
    public void Range_list_with_singles()
    {
        Assert.Equal(["node1", "node2", "node3", "node7", "node9", "node10"], Expand("node[1-3,7,9-10]"));
    }

    [Fact]
    public void Range_with_step()
    {
        Assert.Equal(["n1", "n3", "n5", "n7", "n9"], Expand("n[1-10/2]"));
        Assert.Equal(["n0", "n5", "n10"], Expand("n[0-10/5]"));
    }

    [Fact]
    public void Overlapping_ranges_are_deduplicated()
    {
        Assert.Equal(["n1", "n2", "n3", "n4"], Expand("n[1-3,2-4]"));
    }

    [Fact]
    public void Several_brackets_are_a_cartesian_product()
    {
        Assert.Equal(
            ["rack1-node1", "rack1-node2", "rack1-node3", "rack2-node1", "rack2-node2", "rack2-node3"],
            Expand("rack[1-2]-node[1-3]"));
    }

    [Fact]
    public void Bracket_can_start_or_end_the_name()
    {
        Assert.Equal(["1a", "2a"], Expand("[1-2]a"));
        Assert.Equal(["10.0.0.1", "10.0.0.2"], Expand("10.0.0.[1-2]"));
    }

    [Fact]
    public void Comma_list_mixes_names_and_patterns_in_natural_order()
    {
        Assert.Equal(["a", "b", "node1", "node2", "node3"], Expand("node[1-3],b,a"));
        Assert.Equal(["node2", "node10"], Expand("node10,node2,node10"));
    }

    [Fact]
    public void Port_suffix_is_kept_on_every_node()
    {
        Assert.Equal(["gw1:7340", "gw2:7340", "gw3:7340"], Expand("gw[1-3]:7340"));
        Assert.Equal(["gw1:7340", "gw1:7341"], Expand("gw1:[7340-7341]"));
        Assert.Equal(["gw1", "gw1:7340"], Expand("gw1,gw1:7340"));
    }

    [Fact]
    public void Difference_operator()
    {
        Assert.Equal(["node1", "node2", "node4", "node5"], Expand("node[1-5]!node3"));
        Assert.Equal(["node1", "node5"], Expand("node[1-5]!node[2-4]"));
    }

    [Fact]
    public void Intersection_operator()
    {
        Assert.Equal(["node4", "node5"], Expand("node[1-5]&node[4-9]"));
    }

    [Fact]
    public void Xor_operator()
    {
        Assert.Equal(["node1", "node2", "node3", "node6", "node7"], Expand("node[1-5]^node[4-7]"));
    }

    [Fact]
    public void Operators_apply_left_to_right()
    {
        // (node[1-5] ! node3) , node3  -> node3 is back
        Assert.Equal(5, NodeSet.Parse("node[1-5]!node3,node3").Count);
        // (node[1-5] , node9) ! node[4-9]
        Assert.Equal(["node1", "node2", "node3"], Expand("node[1-5],node9!node[4-9]"));
        // (n[1-4] & n[2-6]) ^ n[4-5]
        Assert.Equal(["n2", "n3", "n5"], Expand("n[1-4]&n[2-6]^n[4-5]"));
    }

    [Fact]
    public void Whitespace_around_operators_is_ignored_and_between_terms_means_union()
    {
        Assert.Equal(["node1", "node2", "node4"], Expand("  node[1-4] ! node3 "));
        Assert.Equal(["a", "b", "c"], Expand("a b\tc"));
        Assert.Equal(["a", "b"], Expand("a , b"));
    }

    [Fact]
    public void Empty_or_blank_expression_is_the_empty_set()
    {
        Assert.Same(NodeSet.Empty, NodeSet.Parse(""));
        Assert.True(NodeSet.Parse("   ").IsEmpty);
        Assert.True(NodeSet.Parse("n1!n1").IsEmpty);
    }

    [Fact]
    public void Group_reference_is_resolved_through_the_source()
    {
        NodeGroups groups = NodeGroups.Parse("compute: node[1-4]\ngpu: node[3-6]\nrack1: r1n[1-2]\nrack2: r2n1");
        NodeSetParseOptions options = groups.ToParseOptions();
        Assert.Equal(["node1", "node2", "node3", "node4"], Expand("@compute", options));
        Assert.Equal(["node1", "node2"], Expand("@compute!@gpu", options));
        Assert.Equal(["gw1", "node3", "node4"], Expand("@compute&@gpu,gw1", options));
        Assert.Equal(["r1n1", "r1n2", "r2n1"], Expand("@rack[1-2]", options));
    }

    [Fact]
    public void Custom_group_source_is_used()
    {
        var options = new NodeSetParseOptions { Groups = new SingleGroup("web", NodeSet.Parse("w[1-2]")) };
        Assert.Equal(["w1", "w2", "x"], Expand("@web,x", options));
    }

    [Fact]
    public void Limit_is_configurable()
    {
        var options = new NodeSetParseOptions { MaxNodes = 10 };
        Assert.Equal(10, NodeSet.Parse("n[1-10]", options).Count);
        Assert.Throws<NodeSetFormatException>(() => NodeSet.Parse("n[1-11]", options));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NodeSetParseOptions { MaxNodes = 0 });
    }

    [Fact]
    public void Default_limit_allows_exactly_100000_nodes()
    {
        Assert.Equal(100_000, NodeSet.Parse("n[1-100000]").Count);
        Assert.Throws<NodeSetFormatException>(() => NodeSet.Parse("n[1-100001]"));
    }

    private sealed class SingleGroup(string name, NodeSet nodes) : INodeGroupSource
    {
        public bool TryGetGroup(string group, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out NodeSet? result)
        {
            result = group == name ? nodes : null;
            return result is not null;
        }
    }
}

public class NodeLimitTests
{
    [Fact]
    public void Overlapping_ranges_count_once_against_the_limit()
    {
        // Seen: n[1-60000,1-60000] (60,000 nodes) was refused as "120000 names".
        Assert.Equal(60_000, NodeSet.Parse("n[1-60000,1-60000]").Count);
        Assert.Equal(100_000, NodeSet.Parse("n[1-100000,1-5,50-70]").Count);
    }

    [Fact]
    public void Subtracting_an_overlapping_superset_gives_the_empty_set()
    {
        // Seen: refused instead of giving the empty set.
        Assert.True(NodeSet.Parse("n[1-100000]!n[1-100000,1-5]").IsEmpty);
    }

    [Fact]
    public void Distinct_names_over_the_limit_are_still_refused_before_expanding()
    {
        var ex = Assert.Throws<NodeSetFormatException>(() => NodeSet.Parse("n[1-60000,60001-100001]"));
        Assert.Contains("100001 names", ex.Message, StringComparison.Ordinal);
        Assert.Throws<NodeSetFormatException>(() => NodeSet.Parse("a[1-1000]b[1-1000]"));
    }
}
