namespace Gatehouse.NodeSets.Tests;

public class NodeGroupsTests
{
    private const string Sample = """
        # Gatehouse groups
        compute: node[1-20]          # the workers
        gpu:     node[21-22]

        gateways: gw[1-3]:7340
        all:     @compute,@gpu,@gateways
        workers: @all!@gateways!node7
        empty:
        """;

    [Fact]
    public void Parses_names_expressions_and_comments()
    {
        NodeGroups groups = NodeGroups.Parse(Sample);
        Assert.Equal(["all", "compute", "empty", "gateways", "gpu", "workers"], groups.Names);
        Assert.Equal(6, groups.Count);
        Assert.Equal("node[1-20]", groups["compute"].Fold());
        Assert.Equal("gw[1-3]:7340", groups["gateways"].Fold());
        Assert.True(groups["empty"].IsEmpty);
    }

    [Fact]
    public void Groups_may_reference_groups_defined_later()
    {
        NodeGroups groups = NodeGroups.Parse("a: @b,x1\nb: @c,y1\nc: z[1-2]");
        Assert.Equal("x1,y1,z[1-2]", groups["a"].Fold());
    }

    [Fact]
    public void Nested_references_and_operators_resolve()
    {
        NodeGroups groups = NodeGroups.Parse(Sample);
        Assert.Equal(25, groups["all"].Count);
        Assert.Equal("node[1-6,8-22]", groups["workers"].Fold());
    }

    [Fact]
    public void Expressions_use_the_groups()
    {
        NodeGroups groups = NodeGroups.Parse(Sample);
        NodeSet set = NodeSet.Parse("@gpu,@gateways!gw2:7340", groups.ToParseOptions());
        Assert.Equal("gw[1,3]:7340,node[21-22]", set.Fold());
    }

    [Fact]
    public void GroupsOf_lists_containing_groups()
    {
        NodeGroups groups = NodeGroups.Parse(Sample);
        Assert.Equal(["all", "compute", "workers"], groups.GroupsOf("node3"));
        Assert.Equal(["all", "compute"], groups.GroupsOf("node7"));
        Assert.Empty(groups.GroupsOf("nowhere"));
    }

    [Fact]
    public void Unknown_group_lookup()
    {
        NodeGroups groups = NodeGroups.Parse(Sample);
        Assert.False(groups.TryGetGroup("nope", out _));
        Assert.Throws<KeyNotFoundException>(() => groups["nope"]);
        Assert.Equal(0, NodeGroups.Empty.Count);
    }

    [Fact]
    public void Windows_line_endings_are_accepted()
    {
        NodeGroups groups = NodeGroups.Parse("a: n[1-2]\r\nb: @a,n3\r\n");
        Assert.Equal("n[1-3]", groups["b"].Fold());
    }

    [Fact]
    public void Direct_cycle_is_reported_with_its_path_and_line()
    {
        NodeGroupsFormatException e = Assert.Throws<NodeGroupsFormatException>(
            () => NodeGroups.Parse("a: n1,@b\nb: n2,@a", "test.groups"));
        Assert.Contains("group cycle: @a -> @b -> @a", e.Reason, StringComparison.Ordinal);
        Assert.Equal("test.groups", e.Source);
        Assert.Equal(1, e.Line);
        Assert.StartsWith("test.groups:1: ", e.Message, StringComparison.Ordinal);
    }

    private static string Chain(int levels) =>
        string.Concat(Enumerable.Range(0, levels).Select(i => $"g{i}: @g{i + 1}\n")) + $"g{levels}: n1\n";

    [Fact]
    public void References_nested_up_to_the_limit_resolve_and_one_level_more_is_an_error()
    {
        NodeGroups groups = NodeGroups.Parse(Chain(NodeGroups.MaxNesting - 1));
        Assert.Equal("n1", groups["g0"].ToString());

        NodeGroupsFormatException e = Assert.Throws<NodeGroupsFormatException>(() => NodeGroups.Parse(Chain(NodeGroups.MaxNesting)));
        Assert.Contains($"nested deeper than {NodeGroups.MaxNesting} levels: @g0 -> ... -> @g{NodeGroups.MaxNesting - 1} -> @g{NodeGroups.MaxNesting}", e.Reason, StringComparison.Ordinal);
        Assert.Equal(NodeGroups.MaxNesting + 1, e.Line);
    }

    [Fact]
    public void A_very_long_reference_chain_is_an_error_not_a_stack_overflow()
    {
        // Found while writing the nodeset fuzz target (a groups file before the expression): a chain of
        // 100,000 groups each naming the next overflowed the stack and killed the process.
        Assert.Throws<NodeGroupsFormatException>(() => NodeGroups.Parse(Chain(100_000)));
    }

    [Fact]
    public void Self_reference_is_a_cycle()
    {
        NodeGroupsFormatException e = Assert.Throws<NodeGroupsFormatException>(() => NodeGroups.Parse("ok: n1\nself: @self"));
        Assert.Contains("@self -> @self", e.Reason, StringComparison.Ordinal);
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void Longer_cycle_is_reported()
    {
        NodeGroupsFormatException e = Assert.Throws<NodeGroupsFormatException>(
            () => NodeGroups.Parse("top: @a\na: @b\nb: @c\nc: x1,@a"));
        Assert.Contains("@a -> @b -> @c -> @a", e.Reason, StringComparison.Ordinal);
        Assert.Equal(2, e.Line);
    }

    [Theory]
    [InlineData("a: n1\nno colon here", 2, "expected \"name: nodes\"")]
    [InlineData("a: n1\n: n2", 2, "invalid group name \"\"")]
    [InlineData("bad name: n1", 1, "invalid group name \"bad name\"")]
    [InlineData("a/b: n1", 1, "invalid group name")]
    [InlineData("a: n1\n\nb: n2\na: n3", 4, "group \"a\" is already defined on line 1")]
    [InlineData("a: n1\nb: n[3-1]", 2, "group \"b\": Invalid node set \"n[3-1]\"")]
    [InlineData("a: @missing", 1, "unknown group \"@missing\"")]
    public void Malformed_files_report_the_line(string text, int line, string reason)
    {
        NodeGroupsFormatException e = Assert.Throws<NodeGroupsFormatException>(() => NodeGroups.Parse(text));
        Assert.Equal(line, e.Line);
        Assert.Contains(reason, e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_expression_keeps_the_node_set_error_as_inner_exception()
    {
        NodeGroupsFormatException e = Assert.Throws<NodeGroupsFormatException>(() => NodeGroups.Parse("b: n[3-1]"));
        NodeSetFormatException inner = Assert.IsType<NodeSetFormatException>(e.InnerException);
        Assert.Equal(2, inner.Position);
    }

    [Fact]
    public void Group_size_limit_applies()
    {
        Assert.Throws<NodeGroupsFormatException>(() => NodeGroups.Parse("a: n[1-11]", maxNodes: 10));
    }

    [Fact]
    public void Load_reads_a_file()
    {
        string path = Path.Combine(Path.GetTempPath(), $"gatehouse-groups-{Guid.NewGuid():N}");
        File.WriteAllText(path, Sample);
        try
        {
            NodeGroups groups = NodeGroups.Load(path);
            Assert.Equal(20, groups["compute"].Count);
            File.WriteAllText(path, "x: @y");
            NodeGroupsFormatException e = Assert.Throws<NodeGroupsFormatException>(() => NodeGroups.Load(path));
            Assert.Equal(path, e.Source);
        }
        finally
        {
            File.Delete(path);
        }

        Assert.Throws<FileNotFoundException>(() => NodeGroups.Load(path));
    }
}
