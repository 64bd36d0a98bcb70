namespace Gatehouse.NodeSets.Tests;

public class FoldTests
{
    private static string Fold(params string[] nodes) => NodeSet.FromNodes(nodes).Fold();

    [Theory]
    [InlineData("node[1-3,7]", new[] { "node1", "node2", "node3", "node7" })]
    [InlineData("node[1-3,7]", new[] { "node7", "node3", "node1", "node2", "node3" })]
    [InlineData("node5", new[] { "node5" })]
    [InlineData("node[1-2]", new[] { "node1", "node2" })]
    [InlineData("node[2,10]", new[] { "node10", "node2" })]
    [InlineData("gateway", new[] { "gateway" })]
    [InlineData("a,b,node[1-3]", new[] { "node2", "b", "node1", "a", "node3" })]
    [InlineData("node[01-03]", new[] { "node01", "node02", "node03" })]
    [InlineData("node[08-11]", new[] { "node08", "node09", "node10", "node11" })]
    [InlineData("node[1-2,01-02]", new[] { "node1", "node2", "node01", "node02" })]
    [InlineData("n[98-101]", new[] { "n98", "n99", "n100", "n101" })]
    [InlineData("sw[1-2]a", new[] { "sw1a", "sw2a" })]
    [InlineData("10.0.0.[1-3]", new[] { "10.0.0.1", "10.0.0.2", "10.0.0.3" })]
    [InlineData("rack[1-2]-node[1-3]", new[] { "rack1-node1", "rack1-node2", "rack1-node3", "rack2-node1", "rack2-node2", "rack2-node3" })]
    [InlineData("rack1-node[1-3],rack2-node[1-2]", new[] { "rack1-node1", "rack1-node2", "rack1-node3", "rack2-node1", "rack2-node2" })]
    [InlineData("r[1-3]n1", new[] { "r1n1", "r2n1", "r3n1" })]
    [InlineData("gw[1-3]:7340", new[] { "gw1:7340", "gw2:7340", "gw3:7340" })]
    [InlineData("gw[1-2]:7340,gw3:7341", new[] { "gw1:7340", "gw2:7340", "gw3:7341" })]
    [InlineData("gw1:[7340-7341]", new[] { "gw1:7341", "gw1:7340" })]
    [InlineData("gw[1-2],gw[1-2]:7340", new[] { "gw1", "gw2", "gw1:7340", "gw2:7340" })]
    [InlineData("host-a,host-b", new[] { "host-b", "host-a" })]
    [InlineData("127.0.0.1:[29275-29279]", new[] { "127.0.0.1:29275", "127.0.0.1:29276", "127.0.0.1:29277", "127.0.0.1:29278", "127.0.0.1:29279" })]
    [InlineData("127.0.0.1:[29275-29277,29279]", new[] { "127.0.0.1:29275", "127.0.0.1:29276", "127.0.0.1:29277", "127.0.0.1:29279" })]
    [InlineData("10.0.0.[2-3]:7340,10.0.0.1:[7340-7341]", new[] { "10.0.0.1:7340", "10.0.0.2:7340", "10.0.0.3:7340", "10.0.0.1:7341" })]
    [InlineData("gw[1,3]:7340,gw2:7341", new[] { "gw1:7340", "gw2:7341", "gw3:7340" })]
    [InlineData("n[1-2]:[22-23],n3:22", new[] { "n1:22", "n2:22", "n3:22", "n1:23", "n2:23" })]
    [InlineData("a1b[1-2],a2b1,a3b3", new[] { "a1b1", "a1b2", "a2b1", "a3b3" })]
    [InlineData("x[1-2]y[1-2],x3y1", new[] { "x1y1", "x1y2", "x2y1", "x2y2", "x3y1" })]
    [InlineData("a1b1,a2b2,a3b3", new[] { "a1b1", "a2b2", "a3b3" })]
    [InlineData("a1,a-1", new[] { "a-1", "a1" })]
    [InlineData("n1,node[9-10]", new[] { "node10", "node9", "n1" })]
    [InlineData("n[9,01,10]", new[] { "n01", "n9", "n10" })]
    [InlineData("n[9,01-02,10,100]", new[] { "n01", "n02", "n9", "n10", "n100" })]
    [InlineData("n[1,08-10]", new[] { "n08", "n09", "n10", "n1" })]
    [InlineData("n[1-3,02]", new[] { "n1", "n2", "n3", "n02" })]
    [InlineData("n[3,02,10,001]", new[] { "n001", "n02", "n3", "n10" })]
    public void Folds_to_the_expected_expression(string expected, string[] nodes)
    {
        Assert.Equal(expected, Fold(nodes));
    }

    [Fact]
    public void Empty_set_folds_to_empty_string()
    {
        Assert.Equal(string.Empty, NodeSet.Empty.Fold());
        Assert.Equal(string.Empty, NodeSet.Empty.ToString());
    }

    [Fact]
    public void Terms_are_ordered_by_their_pattern_text_as_clustershell_orders_them()
    {
        Assert.Equal("a1,node[2,10],node[2-3]x,z", Fold("z", "node10", "node3x", "node2", "a1", "node2x"));
    }

    [Fact]
    public void Very_long_digit_runs_stay_literal()
    {
        string big = "n" + new string('9', 25);
        Assert.Equal(big, Fold(big));
        Assert.Equal([big], NodeSet.Parse(big).ToArray());
    }

    [Theory]
    [InlineData("node[1-20]")]
    [InlineData("node[01-10]")]
    [InlineData("node[1-3,7,9-10]")]
    [InlineData("rack[1-2]-node[1-3]")]
    [InlineData("a,b,node[1-3]")]
    [InlineData("gw[1-3]:7340")]
    [InlineData("node[1-100000]")]
    [InlineData("c[1-4]-n[01-16]")]
    public void Canonical_expressions_fold_back_to_themselves(string expression)
    {
        Assert.Equal(expression, NodeSet.Parse(expression).Fold());
    }

    [Theory]
    [InlineData("node[3,1,2]", "node[1-3]")]
    [InlineData("n[1-10/2]", "n[1,3,5,7,9]")]
    [InlineData("node[1-5]!node3", "node[1-2,4-5]")]
    [InlineData("n1,n2,n3,n5", "n[1-3,5]")]
    [InlineData("rack[1-2]-node[1-3]!rack2-node3", "rack1-node[1-3],rack2-node[1-2]")]
    [InlineData("c[1-3]-n[1-2],c[1-3]-n3", "c[1-3]-n[1-3]")]
    public void Non_canonical_expressions_fold_to_the_shortest_form(string expression, string expected)
    {
        Assert.Equal(expected, NodeSet.Parse(expression).Fold());
    }

    [Fact]
    public void Two_dimensional_folds_are_the_ones_clustershell_gives()
    {
        // Expected values from Debian's clustershell 1.9.1, nodeset -f (a greedy merge, not a minimum).
        Assert.Equal("r1n[1-2],r2n1,r3n2", Fold("r1n1", "r2n1", "r1n2", "r3n2"));
        Assert.Equal("r1n[1-2],r2n[1,3]", Fold("r1n1", "r1n2", "r2n1", "r2n3"));
        Assert.Equal("r[1-5]n[1,7]", Fold("r1n1", "r2n1", "r3n1", "r4n1", "r5n1", "r1n7", "r2n7", "r3n7", "r4n7", "r5n7"));
    }

    [Fact]
    public void Folding_a_large_scattered_two_dimensional_set_stays_fast_and_round_trips()
    {
        var random = new Random(5);
        var names = new HashSet<string>();
        while (names.Count < 20_000)
        {
            names.Add($"r{random.Next(1000)}n{random.Next(1000)}");
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        string folded = NodeSet.FromNodes(names).Fold();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"folding took {clock.Elapsed}");
        Assert.Equal(NodeSet.FromNodes(names), NodeSet.Parse(folded));
    }
}
