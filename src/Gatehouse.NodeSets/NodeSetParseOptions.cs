namespace Gatehouse.NodeSets;

/// <summary>Immutable settings for <see cref="NodeSet.Parse(string, NodeSetParseOptions?)"/>.</summary>
public sealed record NodeSetParseOptions
{
    /// <summary>The default cap on the number of nodes an expression may produce.</summary>
    public const int DefaultMaxNodes = 100_000;

    /// <summary>The largest value accepted for <see cref="MaxNodes"/>.</summary>
    public const int MaxNodesHardCap = 10_000_000;

    /// <summary>Default options: no group source, at most <see cref="DefaultMaxNodes"/> nodes.</summary>
    public static NodeSetParseOptions Default { get; } = new();

    /// <summary>
    /// Resolves <c>@group</c> references; <see langword="null"/> means any group reference is an error.
    /// </summary>
    public INodeGroupSource? Groups { get; init; }

    /// <summary>
    /// Maximum number of nodes any single term, intermediate result or final result may hold;
    /// checked before anything is expanded. Default <see cref="DefaultMaxNodes"/>.
    /// </summary>
    public int MaxNodes
    {
        get;
        init => field = value is > 0 and <= MaxNodesHardCap
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, $"MaxNodes must be between 1 and {MaxNodesHardCap}.");
    } = DefaultMaxNodes;
}
