namespace Gatehouse.NodeSets;

/// <summary>Immutable settings for <see cref="GatheredOutput"/>.</summary>
public sealed record GatherOptions
{
    /// <summary>Defaults: stdout only, node count shown, 15-dash separators (as clush <c>-b</c>).</summary>
    public static GatherOptions Default { get; } = new();

    /// <summary>Which streams are gathered. Default <see cref="OutputStreams.Stdout"/>.</summary>
    public OutputStreams Streams { get; init; } = OutputStreams.Stdout;

    /// <summary>Whether a header of more than one node shows the count, <c>node[1-3,7] (4)</c> (a single node never does). Default true, as clush; false as <c>clush -q</c>.</summary>
    public bool ShowNodeCount { get; init; } = true;

    /// <summary>Length of the dashed separator lines, 1 to 200. Default 15, as clush.</summary>
    public int SeparatorWidth
    {
        get;
        init => field = value is >= 1 and <= 200
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "SeparatorWidth must be between 1 and 200.");
    } = 15;
}
