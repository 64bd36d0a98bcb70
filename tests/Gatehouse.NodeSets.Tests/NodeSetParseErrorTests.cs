namespace Gatehouse.NodeSets.Tests;

public class NodeSetParseErrorTests
{
    [Theory]
    [InlineData("node[3-1]", 5, "range start 3 is greater than its end 1")]
    [InlineData("node[1-3", 4, "unclosed '['")]
    [InlineData("node[1-3,", 4, "unclosed '['")]
    [InlineData("node[1-", 4, "unclosed '['")]
    [InlineData("node1-3]", 7, "unexpected ']'")]
    [InlineData("node[]", 5, "empty range list")]
    [InlineData("node[1,]", 7, "expected a number before ']'")]
    [InlineData("node[1,,2]", 7, "expected a number but found ','")]
    [InlineData("node[-3]", 5, "expected a number but found '-'")]
    [InlineData("node[a-b]", 5, "expected a number but found 'a'")]
    [InlineData("node[1-3x]", 8, "expected ',' or ']' but found 'x'")]
    [InlineData("node[1[2]]", 6, "nested '[' is not allowed")]
    [InlineData("node[[1]]", 5, "nested '[' is not allowed")]
    [InlineData("node[1-10/0]", 10, "range step must be at least 1")]
    [InlineData("node[1-010]", 7, "inconsistent zero padding")]
    [InlineData("node[01-010]", 8, "inconsistent zero padding")]
    [InlineData("n[1234567890123456789]", 2, "number longer than 18 digits")]
    [InlineData("a,,b", 2, "expected a node name but found ','")]
    [InlineData(",a", 0, "expected a node name but found ','")]
    [InlineData("a,", 2, "expected a node name or @group after ','")]
    [InlineData("a!", 2, "expected a node name or @group after '!'")]
    [InlineData("node@x", 4, "unexpected '@'")]
    [InlineData("node#1", 4, "unexpected '#'")]
    [InlineData("@", 1, "expected a group name after '@'")]
    [InlineData("@grp", 0, "no groups are configured")]
    [InlineData("n[1-100001]", 0, "expands to 100001 names, more than the limit of 100000")]
    [InlineData("a[1-1000]b[1-1000]", 0, "expands to 1000000 names")]
    [InlineData("n[1-999999999999999999]", 0, "expands to 999999999999999999 names")]
    [InlineData("n[1-60000],m[1-60000]", 11, "exceeds the limit of 100000 nodes")]
    public void Reports_reason_and_position(string expression, int position, string reason)
    {
        NodeSetFormatException e = Assert.Throws<NodeSetFormatException>(() => NodeSet.Parse(expression));
        Assert.Equal(position, e.Position);
        Assert.Contains(reason, e.Reason, StringComparison.Ordinal);
        Assert.Equal(expression, e.Expression);
        Assert.Contains($"at position {position}", e.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<FormatException>(e);
    }

    [Fact]
    public void Unknown_group_reports_its_position()
    {
        NodeSetParseOptions options = NodeGroups.Parse("a: n1").ToParseOptions();
        NodeSetFormatException e = Assert.Throws<NodeSetFormatException>(() => NodeSet.Parse("n2,@a,@missing", options));
        Assert.Equal(6, e.Position);
        Assert.Contains("unknown group \"@missing\"", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Group_expansion_beyond_the_limit_fails()
    {
        NodeGroups groups = NodeGroups.Parse("big: n[1-8]");
        var options = new NodeSetParseOptions { Groups = groups, MaxNodes = 5 };
        NodeSetFormatException e = Assert.Throws<NodeSetFormatException>(() => NodeSet.Parse("x,@big", options));
        Assert.Equal(2, e.Position);
    }

    [Fact]
    public void Hostile_inputs_fail_cleanly_without_hanging()
    {
        string[] hostile =
        [
            new string('[', 10_000),
            new string(']', 10),
            "n" + string.Concat(Enumerable.Repeat("[1-10]", 50)),
            "n[" + string.Join(',', Enumerable.Repeat("1-99999/2", 100)) + "]",
            "n[0-999999999999999999/1]",
            "\0",
            "a\u0001b",
        ];
        foreach (string expression in hostile)
        {
            Assert.Throws<NodeSetFormatException>(() => NodeSet.Parse(expression));
        }

        // A range repeated 100 times is 99,999 distinct names: accepted, and expanded once, not 100 times.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(99_999, NodeSet.Parse("n[" + string.Join(',', Enumerable.Repeat("1-99999", 100)) + "]").Count);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }
}
