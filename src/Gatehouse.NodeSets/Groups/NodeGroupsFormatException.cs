namespace Gatehouse.NodeSets;

/// <summary>
/// Thrown when a groups file is malformed: a line that is not <c>name: nodes</c>, a bad group name,
/// a duplicate, a bad node-set expression, a reference to an unknown group, or a cycle.
/// </summary>
public sealed class NodeGroupsFormatException : FormatException
{
    /// <summary>Creates an exception for line <paramref name="line"/> of <paramref name="source"/>.</summary>
    /// <param name="source">The file name or other label of the groups text.</param>
    /// <param name="line">One-based line number.</param>
    /// <param name="reason">What is wrong.</param>
    /// <param name="innerException">The node-set error behind it, if any.</param>
    public NodeGroupsFormatException(string source, int line, string reason, Exception? innerException = null)
        : base($"{source}:{line}: {reason}", innerException)
    {
        Source = source;
        Line = line;
        Reason = reason;
    }

    /// <summary>Creates an exception with a default message.</summary>
    public NodeGroupsFormatException()
        : this("groups", 0, "invalid groups file")
    {
    }

    /// <summary>Creates an exception with a plain message.</summary>
    public NodeGroupsFormatException(string message)
        : this("groups", 0, message)
    {
    }

    /// <summary>Creates an exception with a plain message and an inner exception.</summary>
    public NodeGroupsFormatException(string message, Exception innerException)
        : this("groups", 0, message, innerException)
    {
    }

    /// <summary>The file name or label given when parsing.</summary>
    public new string Source { get; }

    /// <summary>One-based line number of the offending definition (0 when unknown).</summary>
    public int Line { get; }

    /// <summary>The problem, without the source and line.</summary>
    public string Reason { get; }
}
