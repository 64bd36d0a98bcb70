namespace Gatehouse.NodeSets;

/// <summary>
/// Thrown when a node-set expression cannot be parsed or evaluated: bad syntax, a reversed or
/// empty range, an unknown group, or a result beyond <see cref="NodeSetParseOptions.MaxNodes"/>.
/// </summary>
public sealed class NodeSetFormatException : FormatException
{
    /// <summary>Creates an exception for <paramref name="expression"/> at <paramref name="position"/>.</summary>
    /// <param name="expression">The whole expression being parsed.</param>
    /// <param name="position">Zero-based offset of the offending character in the expression.</param>
    /// <param name="reason">What is wrong, without the expression or position (they are appended).</param>
    public NodeSetFormatException(string expression, int position, string reason)
        : base($"Invalid node set \"{expression}\": {reason} at position {position}.")
    {
        Expression = expression;
        Position = position;
        Reason = reason;
    }

    /// <summary>Creates an exception with a plain message (for serializers and tooling).</summary>
    public NodeSetFormatException()
        : this(string.Empty, 0, "invalid node set")
    {
    }

    /// <summary>Creates an exception with a plain message.</summary>
    public NodeSetFormatException(string message)
        : base(message)
    {
        Expression = string.Empty;
        Reason = message;
    }

    /// <summary>Creates an exception with a plain message and an inner exception.</summary>
    public NodeSetFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
        Expression = string.Empty;
        Reason = message;
    }

    /// <summary>The expression that failed to parse.</summary>
    public string Expression { get; }

    /// <summary>Zero-based offset in <see cref="Expression"/> where the problem was found.</summary>
    public int Position { get; }

    /// <summary>The problem, without the expression and position.</summary>
    public string Reason { get; }
}
