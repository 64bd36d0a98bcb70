using System.Text;
using Gatehouse.NodeSets;

namespace Gatehouse.Fuzz.Targets;

/// <summary>
/// <c>nodeset</c>: <see cref="NodeSet.Parse"/> (expressions with ranges, groups and operators) and
/// <see cref="NodeGroups.Parse"/>. Input: <c>[groups text NUL] expression</c>; without a NUL the
/// expression is evaluated against a fixed groups file. Limit: 4096 nodes (the checks run before
/// anything is expanded, so a small limit exercises them as well as the default). Every set must
/// fold (<see cref="NodeSet.ToString"/>) into an expression that parses back to the same set.
/// </summary>
internal sealed class NodeSetTarget : FuzzTarget
{
    private const int MaxNodes = 4096;
    private const string FixedGroups = "compute: node[1-16]\ngpu: node[9-16],gpu[01-04]\nall: @compute,@gpu,login1\n";

    // Made on first use: instrumented code must not run before the fork server starts.
    private NodeGroups? _fixed;

    public override string Name => "nodeset";

    public override string Description => "NodeSet.Parse, NodeGroups.Parse and the fold/parse round trip";

    public override bool IsExpected(Exception exception) => exception is NodeSetFormatException or NodeGroupsFormatException;

    public override void Run(ReadOnlySpan<byte> input)
    {
        int nul = input.IndexOf((byte)0);
        var groups = _fixed ??= NodeGroups.Parse(FixedGroups, "groups", MaxNodes);
        if (nul >= 0)
        {
            groups = NodeGroups.Parse(TextInput.Decode(input[..nul]), "groups", MaxNodes);
            input = input[(nul + 1)..];
        }

        var options = groups.ToParseOptions(MaxNodes);
        var set = NodeSet.Parse(TextInput.Decode(input), options);
        FuzzInvariantException.Check(set.Count <= MaxNodes, $"{set.Count} nodes over the limit {MaxNodes}");
        string folded = set.ToString();
        NodeSet again;
        try
        {
            again = NodeSet.Parse(folded, NodeSetParseOptions.Default);
        }
        catch (NodeSetFormatException e)
        {
            throw new FuzzInvariantException($"the folded form '{folded}' does not parse: {e.Message}", e);
        }

        FuzzInvariantException.Check(again.Equals(set), $"the folded form '{folded}' parses to a different set ({again.Count} vs {set.Count} nodes)");
    }

    public override IEnumerable<(string Name, byte[] Data)> Seeds()
    {
        static byte[] T(string s) => Encoding.UTF8.GetBytes(s);
        yield return ("range", T("node[1-20]"));
        yield return ("padded-step", T("rack[01-10/3]-n[001-004]"));
        yield return ("operators", T("node[1-20]!node[5-7]&node[1-10]^node[8-12],login1"));
        yield return ("groups", T("@all!@gpu"));
        yield return ("whitespace", T("  a1 b[2,4-5]\tc "));
        yield return ("ports", T("gw[1-3]:7340,gw4.example.org:7341"));
        yield return ("own-groups", T("web: www[1-4]\ndb: db[1-2] @web\n# comment\n\0@db!www2"));
        yield return ("group-cycle", T("a: @b\nb: @a\n\0@a"));
        yield return ("too-many", T("n[1-5000]"));
        yield return ("bad-range", T("node[5-1]"));
        yield return ("unclosed", T("node[1-3"));
        yield return ("empty", []);
    }
}
