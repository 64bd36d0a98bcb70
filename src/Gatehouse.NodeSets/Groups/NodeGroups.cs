using System.Diagnostics.CodeAnalysis;

namespace Gatehouse.NodeSets;

/// <summary>
/// Named node groups, as read from a groups file of <c>name: node-set expression</c> lines
/// (ClusterShell's "local" groups file format; see <c>docs/nodesets.md</c>). Immutable; every
/// group is resolved when the text is parsed, so unknown references and cycles fail early.
/// </summary>
public sealed class NodeGroups : INodeGroupSource
{
    private readonly Dictionary<string, NodeSet> _groups;
    private readonly string[] _names;

    private NodeGroups(Dictionary<string, NodeSet> groups)
    {
        _groups = groups;
        _names = [.. groups.Keys];
        Array.Sort(_names, NaturalComparer.Instance);
    }

    /// <summary>
    /// Deepest chain of group references accepted (<c>@a</c> naming <c>@b</c> naming <c>@c</c> ... ):
    /// resolution recurses once per level, so an unbounded chain in a groups file would overflow the stack.
    /// </summary>
    public const int MaxNesting = 64;

    /// <summary>No groups at all.</summary>
    public static NodeGroups Empty { get; } = new(new Dictionary<string, NodeSet>(StringComparer.Ordinal));

    /// <summary>Group names (without <c>@</c>) in natural order.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>Number of groups.</summary>
    public int Count => _names.Length;

    /// <summary>The members of a group.</summary>
    /// <param name="name">The group name without <c>@</c>.</param>
    /// <exception cref="KeyNotFoundException">No such group.</exception>
    public NodeSet this[string name] =>
        _groups.TryGetValue(name, out NodeSet? nodes) ? nodes : throw new KeyNotFoundException($"unknown group \"@{name}\"");

    /// <summary>Parse options that resolve <c>@group</c> through these groups.</summary>
    /// <param name="maxNodes">The node limit for expressions parsed with these options.</param>
    /// <returns>New options.</returns>
    public NodeSetParseOptions ToParseOptions(int maxNodes = NodeSetParseOptions.DefaultMaxNodes) =>
        new() { Groups = this, MaxNodes = maxNodes };

    /// <inheritdoc/>
    public bool TryGetGroup(string name, [NotNullWhen(true)] out NodeSet? nodes) => _groups.TryGetValue(name, out nodes);

    /// <summary>Names of the groups that contain <paramref name="node"/>, in natural order.</summary>
    /// <returns>The group names; empty when none.</returns>
    public IReadOnlyList<string> GroupsOf(string node) => [.. _names.Where(name => _groups[name].Contains(node))];

    /// <summary>Reads and parses a groups file.</summary>
    /// <param name="path">The file; the caller chooses it (e.g. <c>$XDG_CONFIG_HOME/gatehouse/groups</c>).</param>
    /// <param name="maxNodes">Limit on the size of each group.</param>
    /// <returns>The groups.</returns>
    /// <exception cref="NodeGroupsFormatException">The file is malformed; the message names the file and line.</exception>
    /// <exception cref="IOException">The file cannot be read (including <see cref="FileNotFoundException"/>).</exception>
    public static NodeGroups Load(string path, int maxNodes = NodeSetParseOptions.DefaultMaxNodes)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Parse(File.ReadAllText(path), path, maxNodes);
    }

    /// <summary>
    /// Parses groups text: one <c>name: expression</c> per line; <c>#</c> starts a comment; blank
    /// lines are ignored; expressions may use <c>@other</c> groups defined anywhere in the text.
    /// </summary>
    /// <param name="text">The groups text.</param>
    /// <param name="source">A label for error messages, usually the file name.</param>
    /// <param name="maxNodes">Limit on the size of each group.</param>
    /// <returns>The groups, all resolved.</returns>
    /// <exception cref="NodeGroupsFormatException">
    /// A malformed line, invalid or duplicate name, bad expression, unknown group, a cycle
    /// (the message lists it, e.g. <c>@a -> @b -> @a</c>), or references nested deeper than <see cref="MaxNesting"/>.
    /// </exception>
    public static NodeGroups Parse(string text, string source = "groups", int maxNodes = NodeSetParseOptions.DefaultMaxNodes)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(source);
        Dictionary<string, GroupDefinition> definitions = GroupsFileParser.Parse(text, source);
        var resolver = new GroupResolver(definitions, source, maxNodes);
        return new NodeGroups(resolver.ResolveAll());
    }
}
