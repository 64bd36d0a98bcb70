namespace Gatehouse.NodeSets;

/// <summary>Which output streams a renderer uses.</summary>
[Flags]
public enum OutputStreams
{
    /// <summary>Standard output only (clush <c>-b</c>).</summary>
    Stdout = 1,

    /// <summary>Standard error only.</summary>
    Stderr = 2,

    /// <summary>Standard output followed by standard error, gathered together (clush <c>-B</c>).</summary>
    Both = Stdout | Stderr,
}
