using System.Collections;

namespace Gatehouse.NodeSets;

/// <summary>
/// An immutable, de-duplicated set of node names kept in natural order (<c>node2</c> before
/// <c>node10</c>, see <see cref="NaturalComparer"/>). Built by parsing a ClusterShell-style
/// expression such as <c>node[1-20]!node7</c>, or from plain names; <see cref="ToString"/> folds
/// it back into the shortest expression this library knows, such as <c>node[1-6,8-20]</c>.
/// </summary>
public sealed class NodeSet : IReadOnlyList<string>, IEquatable<NodeSet>
{
    private readonly string[] _nodes;
    private readonly HashSet<string> _lookup;
    private string? _folded;

    private NodeSet(string[] sortedDistinct, HashSet<string> lookup)
    {
        _nodes = sortedDistinct;
        _lookup = lookup;
    }

    /// <summary>The empty set.</summary>
    public static NodeSet Empty { get; } = new([], new HashSet<string>(StringComparer.Ordinal));

    /// <summary>Number of distinct nodes.</summary>
    public int Count => _nodes.Length;

    /// <summary>Whether the set has no nodes.</summary>
    public bool IsEmpty => _nodes.Length == 0;

    /// <summary>The node at <paramref name="index"/> in natural order.</summary>
    /// <exception cref="IndexOutOfRangeException">When the index is outside the set.</exception>
    public string this[int index] => _nodes[index];

    /// <summary>
    /// Parses a node-set expression (see <c>docs/nodesets.md</c>): patterns with bracketed ranges,
    /// <c>@group</c> references, and the operators <c>,</c> (union), <c>!</c> (difference),
    /// <c>&amp;</c> (intersection) and <c>^</c> (symmetric difference), applied left to right.
    /// </summary>
    /// <param name="expression">The expression, e.g. <c>rack[1-2]-node[01-10],gw[1-3]:7340</c>.</param>
    /// <param name="options">Group source and size limit; <see cref="NodeSetParseOptions.Default"/> when null.</param>
    /// <returns>The evaluated set, in natural order. An empty or blank expression gives <see cref="Empty"/>.</returns>
    /// <exception cref="NodeSetFormatException">Bad syntax, unknown group, or too many nodes; carries the position.</exception>
    public static NodeSet Parse(string expression, NodeSetParseOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(expression);
        HashSet<string> result = NodeSetParser.Evaluate(expression, options ?? NodeSetParseOptions.Default);
        return FromTrusted(result);
    }

    /// <summary>Builds a set from plain node names, removing duplicates and sorting naturally.</summary>
    /// <param name="nodes">Node names; each must be a valid name (see <see cref="IsValidNodeName"/>).</param>
    /// <returns>The set.</returns>
    /// <exception cref="ArgumentException">A name is empty or contains a character reserved by the syntax.</exception>
    public static NodeSet FromNodes(IEnumerable<string> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (string node in nodes)
        {
            if (!IsValidNodeName(node))
            {
                throw new ArgumentException($"\"{node}\" is not a valid node name (it is empty or contains whitespace, a control character or one of [ ] , ! & ^ @ #).", nameof(nodes));
            }

            set.Add(node);
        }

        return FromTrusted(set);
    }

    /// <summary>
    /// Whether <paramref name="name"/> can be a member of a node set: not empty, no whitespace or
    /// control characters, and none of the characters the syntax reserves: <c>[ ] , ! &amp; ^ @ #</c>.
    /// </summary>
    /// <returns><see langword="true"/> when the name is valid.</returns>
    public static bool IsValidNodeName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return false;
        }

        foreach (char c in name)
        {
            if (IsReserved(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether the node is a member.</summary>
    /// <returns><see langword="true"/> when present (ordinal, case-sensitive).</returns>
    public bool Contains(string node) => _lookup.Contains(node);

    /// <summary>Nodes in either set (the <c>,</c> operator).</summary>
    /// <returns>A new set.</returns>
    public NodeSet Union(NodeSet other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var set = new HashSet<string>(_lookup, StringComparer.Ordinal);
        set.UnionWith(other._nodes);
        return FromTrusted(set);
    }

    /// <summary>Nodes of this set that are not in <paramref name="other"/> (the <c>!</c> operator, clush <c>-x</c>).</summary>
    /// <returns>A new set.</returns>
    public NodeSet Except(NodeSet other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var set = new HashSet<string>(_lookup, StringComparer.Ordinal);
        set.ExceptWith(other._nodes);
        return FromTrusted(set);
    }

    /// <summary>Nodes in both sets (the <c>&amp;</c> operator).</summary>
    /// <returns>A new set.</returns>
    public NodeSet Intersect(NodeSet other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var set = new HashSet<string>(_lookup, StringComparer.Ordinal);
        set.IntersectWith(other._nodes);
        return FromTrusted(set);
    }

    /// <summary>Nodes in exactly one of the sets (the <c>^</c> operator).</summary>
    /// <returns>A new set.</returns>
    public NodeSet SymmetricExcept(NodeSet other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var set = new HashSet<string>(_lookup, StringComparer.Ordinal);
        set.SymmetricExceptWith(other._nodes);
        return FromTrusted(set);
    }

    /// <summary>
    /// Folds the set into a compact expression, e.g. <c>node[1-3,7]</c>: names sharing their text, port
    /// and zero padding fold into brackets, in as many dimensions as they have numbers (rules in
    /// <c>docs/nodesets.md</c>). Parsing the result gives this set back.
    /// </summary>
    /// <returns>The folded expression; the empty string for an empty set.</returns>
    public string Fold() => _folded ??= NodeFolder.Fold(_nodes);

    /// <summary>The folded expression (same as <see cref="Fold"/>).</summary>
    /// <returns>The folded expression.</returns>
    public override string ToString() => Fold();

    /// <summary>Enumerates the nodes in natural order.</summary>
    /// <returns>An enumerator.</returns>
    public IEnumerator<string> GetEnumerator() => ((IEnumerable<string>)_nodes).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Set equality: same members, whatever expression produced them.</summary>
    /// <returns><see langword="true"/> when both sets hold the same nodes.</returns>
    public bool Equals(NodeSet? other) =>
        other is not null && (ReferenceEquals(this, other) || _nodes.AsSpan().SequenceEqual(other._nodes));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as NodeSet);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(_nodes.Length);
        foreach (string node in _nodes)
        {
            hash.Add(node, StringComparer.Ordinal);
        }

        return hash.ToHashCode();
    }

    internal static bool IsReserved(char c) =>
        c is '[' or ']' or ',' or '!' or '&' or '^' or '@' or '#' || char.IsWhiteSpace(c) || char.IsControl(c);

    /// <summary>Wraps a set whose names are already known to be valid.</summary>
    internal static NodeSet FromTrusted(HashSet<string> set)
    {
        if (set.Count == 0)
        {
            return Empty;
        }

        string[] sorted = [.. set];
        Array.Sort(sorted, NaturalComparer.Instance);
        return new NodeSet(sorted, set);
    }
}
