namespace Gatehouse.NodeSets.Tests;

/// <summary>Property-style checks over many random sets: expanding a folded set gives the set back.</summary>
public class FoldPropertyTests
{
    public static TheoryData<int> Seeds()
    {
        var data = new TheoryData<int>();
        for (int seed = 1; seed <= 40; seed++)
        {
            data.Add(seed);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Fold_then_parse_round_trips_random_one_dimension_sets(int seed)
    {
        var random = new Random(seed);
        string[] prefixes = ["node", "n", "gw", "db-", "x.y"];
        var names = new HashSet<string>();
        int count = random.Next(1, 300);
        for (int i = 0; i < count; i++)
        {
            string prefix = prefixes[random.Next(prefixes.Length)];
            int value = random.Next(0, 400);
            string number = random.Next(4) switch
            {
                0 => value.ToString("D3", System.Globalization.CultureInfo.InvariantCulture),
                _ => value.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            string suffix = random.Next(5) == 0 ? ":" + (7340 + random.Next(2)) : "";
            names.Add(prefix + number + suffix);
        }

        AssertRoundTrip(names);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Fold_then_parse_round_trips_random_multi_dimension_sets(int seed)
    {
        var random = new Random(seed * 7919);
        var names = new HashSet<string>();
        int racks = random.Next(1, 6);
        int nodes = random.Next(1, 20);
        double density = random.NextDouble();
        for (int r = 1; r <= racks; r++)
        {
            for (int n = 1; n <= nodes; n++)
            {
                if (random.NextDouble() < density)
                {
                    names.Add($"rack{r}-node{n:D2}");
                }
            }
        }

        for (int i = random.Next(0, 5); i > 0; i--)
        {
            names.Add($"c{random.Next(1, 4)}s{random.Next(1, 4)}n{random.Next(1, 9)}");
        }

        if (names.Count == 0)
        {
            names.Add("rack1-node01");
        }

        AssertRoundTrip(names);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Folding_a_full_range_gives_a_single_term(int seed)
    {
        var random = new Random(seed);
        int low = random.Next(0, 1000);
        int high = low + random.Next(1, 1000);
        string[] names = [.. Enumerable.Range(low, high - low + 1).Select(i => $"node{i}")];
        Assert.Equal($"node[{low}-{high}]", NodeSet.FromNodes(names).Fold());
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Set_operations_match_linq_on_random_sets(int seed)
    {
        var random = new Random(seed);
        string RandomExpression() => $"n[{random.Next(1, 30)}-{random.Next(30, 60)}]";
        string a = RandomExpression();
        string b = RandomExpression();
        HashSet<string> left = [.. NodeSet.Parse(a)];
        HashSet<string> right = [.. NodeSet.Parse(b)];

        Assert.True(NodeSet.Parse($"{a}!{b}").ToHashSet().SetEquals(left.Except(right)));
        Assert.True(NodeSet.Parse($"{a}&{b}").ToHashSet().SetEquals(left.Intersect(right)));
        Assert.True(NodeSet.Parse($"{a}^{b}").ToHashSet().SetEquals(left.Union(right).Except(left.Intersect(right))));
        Assert.True(NodeSet.Parse($"{a},{b}").ToHashSet().SetEquals(left.Union(right)));
    }

    private static void AssertRoundTrip(HashSet<string> names)
    {
        NodeSet set = NodeSet.FromNodes(names);
        string folded = set.Fold();
        NodeSet reparsed = NodeSet.Parse(folded);
        Assert.True(reparsed.ToHashSet().SetEquals(names), $"{folded} does not expand back to the {names.Count} names");
        Assert.Equal(set, reparsed);
        Assert.Equal(folded, reparsed.Fold());
        Assert.Equal(names.Order(NaturalComparer.Instance), reparsed);
    }
}
