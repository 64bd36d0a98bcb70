using System.Diagnostics.CodeAnalysis;

namespace Gatehouse.NodeSets;

/// <summary>
/// Resolves every group of a groups file depth-first, detecting cycles with the stack of groups
/// being resolved. Used once per parse; not thread-safe.
/// </summary>
internal sealed class GroupResolver : INodeGroupSource
{
    private readonly Dictionary<string, GroupDefinition> _definitions;
    private readonly Dictionary<string, NodeSet> _resolved = new(StringComparer.Ordinal);
    private readonly List<string> _resolving = [];
    private readonly string _source;
    private readonly NodeSetParseOptions _options;

    public GroupResolver(Dictionary<string, GroupDefinition> definitions, string source, int maxNodes)
    {
        _definitions = definitions;
        _source = source;
        _options = new NodeSetParseOptions { Groups = this, MaxNodes = maxNodes };
    }

    public Dictionary<string, NodeSet> ResolveAll()
    {
        foreach (GroupDefinition definition in _definitions.Values.OrderBy(d => d.Line))
        {
            Resolve(definition);
        }

        return _resolved;
    }

    /// <summary>Called by the parser for each <c>@name</c> met in a group's expression.</summary>
    public bool TryGetGroup(string name, [NotNullWhen(true)] out NodeSet? nodes)
    {
        if (!_definitions.TryGetValue(name, out GroupDefinition? definition))
        {
            nodes = null;
            return false;
        }

        nodes = Resolve(definition);
        return true;
    }

    private NodeSet Resolve(GroupDefinition definition)
    {
        if (_resolved.TryGetValue(definition.Name, out NodeSet? done))
        {
            return done;
        }

        int index = _resolving.IndexOf(definition.Name);
        if (index >= 0)
        {
            string cycle = string.Join(" -> ", _resolving.Skip(index).Append(definition.Name).Select(n => "@" + n));
            throw new NodeGroupsFormatException(_source, definition.Line, $"group cycle: {cycle}");
        }

        if (_resolving.Count >= NodeGroups.MaxNesting)
        {
            throw new NodeGroupsFormatException(_source, definition.Line,
                $"group references nested deeper than {NodeGroups.MaxNesting} levels: @{_resolving[0]} -> ... -> @{_resolving[^1]} -> @{definition.Name}");
        }

        _resolving.Add(definition.Name);
        NodeSet nodes;
        try
        {
            nodes = NodeSet.Parse(definition.Expression, _options);
        }
        catch (NodeSetFormatException e)
        {
            throw new NodeGroupsFormatException(_source, definition.Line, $"group \"{definition.Name}\": {e.Message}", e);
        }

        _resolving.RemoveAt(_resolving.Count - 1);
        _resolved.Add(definition.Name, nodes);
        return nodes;
    }
}
