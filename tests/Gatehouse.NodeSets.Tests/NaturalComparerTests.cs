namespace Gatehouse.NodeSets.Tests;

public class NaturalComparerTests
{
    [Theory]
    [InlineData("node2", "node10")]
    [InlineData("node9", "node10")]
    [InlineData("node1", "node01")]
    [InlineData("a", "b")]
    [InlineData("node", "node1")]
    [InlineData("node1", "node1a")]
    [InlineData("rack1-node10", "rack2-node1")]
    [InlineData("gw2:7340", "gw10:7340")]
    [InlineData("gw1:7340", "gw1:7341")]
    [InlineData("n99999999999999999999998", "n99999999999999999999999")]
    [InlineData("n9", "n100000000000000000000000")]
    [InlineData("Node1", "node1")]
    public void Orders_first_before_second(string first, string second)
    {
        Assert.True(NaturalComparer.Instance.Compare(first, second) < 0, $"{first} < {second}");
        Assert.True(NaturalComparer.Instance.Compare(second, first) > 0, $"{second} > {first}");
    }

    [Fact]
    public void Equal_strings_compare_equal()
    {
        Assert.Equal(0, NaturalComparer.Instance.Compare("node007", "node007"));
        Assert.Equal(0, NaturalComparer.Instance.Compare(null, null));
        Assert.True(NaturalComparer.Instance.Compare(null, "a") < 0);
    }

    [Fact]
    public void Sorts_a_mixed_list_naturally()
    {
        string[] names = ["node10", "node2", "node1", "gw1", "node01", "node100", "node20"];
        Array.Sort(names, NaturalComparer.Instance);
        Assert.Equal(["gw1", "node1", "node01", "node2", "node10", "node20", "node100"], names);
    }

    [Fact]
    public void Is_a_consistent_total_order_on_random_names()
    {
        var random = new Random(42);
        string[] alphabet = ["n", "node", "0", "1", "2", "9", "10", "007", "-", ":"];
        List<string> names = [];
        for (int i = 0; i < 300; i++)
        {
            int parts = random.Next(1, 5);
            names.Add(string.Concat(Enumerable.Range(0, parts).Select(_ => alphabet[random.Next(alphabet.Length)])));
        }

        foreach (string a in names.Take(60))
        {
            foreach (string b in names.Take(60))
            {
                int ab = Math.Sign(NaturalComparer.Instance.Compare(a, b));
                int ba = Math.Sign(NaturalComparer.Instance.Compare(b, a));
                Assert.Equal(-ab, ba);
                Assert.Equal(a == b, ab == 0);
                foreach (string c in names.Take(15))
                {
                    if (ab < 0 && NaturalComparer.Instance.Compare(b, c) < 0)
                    {
                        Assert.True(NaturalComparer.Instance.Compare(a, c) < 0, $"{a} < {b} < {c}");
                    }
                }
            }
        }
    }
}
